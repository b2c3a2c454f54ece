"""lupus_utils: SLE instruments, outcome states, statistics and the data model of the
anifrolumab real-world executable book (Tani C et al. J Rheumatol 2024).

The public API: the instruments, the outcome states and their thresholds, every patient's course,
the inference and longitudinal analyses the chapters use, the data model. README, Architecture,
says which module does what and how they depend on one another."""
from .courses import (STATE_NOTES, STATES, course_marks, patient_courses, state_counts, state_transitions,
                      transition_matrix, visit_states)
from .inference import proportion_with_ci, wilcoxon_table_with_effects
from .longitudinal import (kaplan_meier, km_medians, km_time_text, mixed_model_trajectory, responder_table,
                           responder_values, time_on_drug, time_to_first)
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
    DORIS_PREDNISONE_MAX_MG,
    NON_RESPONSE_MIN_FOLLOW_UP_WEEKS,
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
    "DORIS_PREDNISONE_MAX_MG", "NON_RESPONSE_MIN_FOLLOW_UP_WEEKS", "STATES", "STATE_NOTES", "course_marks",
    "kaplan_meier", "km_medians", "km_time_text", "mixed_model_trajectory", "patient_courses", "proportion_with_ci",
    "responder_table", "responder_values", "state_counts", "state_transitions", "time_on_drug", "time_to_first",
    "transition_matrix", "visit_states", "wilcoxon_table_with_effects",
    "CohortValidationError", "clasi_a_50", "clasi_a_response", "clinical_sledai", "columns",
    "doris_remission", "lldas", "lldas_criteria", "load_codebook", "non_responder",
    "prednisone_equivalent", "read_cohort", "sfi_flare", "sfi_flare_criteria", "sle_das",
    "sle_das_category", "sle_das_items", "sledai2k", "sri4_modified", "table_spec", "validate_cohort",
]
