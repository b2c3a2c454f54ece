"""lupus_utils: SLE instruments, outcome states, statistics and the data model of the
anifrolumab real-world executable book (Tani C et al. J Rheumatol 2024)."""
from .codebook import columns, load_codebook, table_spec
from .data import CohortValidationError, read_cohort, validate_cohort
from .instruments import (
    clasi_a_50,
    clinical_sledai,
    prednisone_equivalent,
    sle_das,
    sle_das_category,
    sle_das_items,
    sledai2k,
)
from .outcomes import (
    clasi_a_response,
    doris_remission,
    lldas,
    lldas_criteria,
    non_responder,
    sfi_flare,
    sfi_flare_criteria,
    sri4_modified,
)

__version__ = "0.1.0"

__all__ = [
    "CohortValidationError", "clasi_a_50", "clasi_a_response", "clinical_sledai", "columns",
    "doris_remission", "lldas", "lldas_criteria", "load_codebook", "non_responder",
    "prednisone_equivalent", "read_cohort", "sfi_flare", "sfi_flare_criteria", "sle_das",
    "sle_das_category", "sle_das_items", "sledai2k", "sri4_modified", "table_spec", "validate_cohort",
]
