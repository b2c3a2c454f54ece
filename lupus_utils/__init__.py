"""lupus_utils: SLE instruments, outcome states, statistics and the data model of the
anifrolumab real-world executable book (Tani C et al. J Rheumatol 2024).

The public API: the instruments, the outcome states and their thresholds, every patient's course,
the inference and longitudinal analyses the chapters use, the study's analysis as data (results,
subgroups), the visit weeks, the data model, and numbers as the book prints them (half-up
rounding, p-values, percentages, medians with quartiles). The parts behind it: ``science``, ``data``,
``presentation`` (the book's tables, figures and widgets) and the ``generator`` of the synthetic
cohort; README, Architecture, says which module does what and how they depend on one another."""
from .science.courses import (STATE_NOTES, STATES, course_marks, patient_courses, state_counts, state_transitions,
                              transition_matrix, visit_states)
from .science.inference import proportion_with_ci, wilcoxon_table_with_effects
from .science.stats import SIGNIFICANCE_LEVEL
from .science.longitudinal import (kaplan_meier, km_medians, km_time_text, mixed_model_trajectory, responder_table,
                                   responder_values, time_on_drug, time_to_first)
from .codebook import columns, load_codebook, table_spec
from .numbers import display_number, half_up, iqr_text, p_text, pct_text, shown_values, stat_text
from .data.cohort import CohortValidationError, read_cohort, validate_cohort
from .science.instruments import (
    clasi_a_50,
    clinical_sledai,
    prednisone_equivalent,
    sle_das,
    sle_das_category,
    sle_das_items,
    sledai2k,
)
from .paths import (DATA_DIR, EFFICACY_WEEKS, LLDAS_WEEKS, SAFETY_WEEKS, SEROLOGY_WEEKS, STATE_WEEKS, SYNTHETIC_DIR,
                    VISIT_WEEKS)
from .science.results import (ACTIVITY_MEASURES, compute_results, context_percentages, data_flow, derive_visits,
                              efficacy_visits, gap_input_labels, input_gap_table, population_visits,
                              proportions_with_ci, response_rates, safety_rates, visit_flow, zoster_by_vaccination)
from .science.subgroups import (GROUPINGS, SMALL_GROUP, SUBGROUP_OUTCOMES, add_groupings, subgroup_comparison,
                                subgroup_differences)
from .science.outcomes import (
    DORIS_PREDNISONE_MAX_MG,
    NON_RESPONSE_MIN_FOLLOW_UP_WEEKS,
    SRI4_PGA_WORSENING,
    SRI4_SLEDAI_REDUCTION,
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
    "SIGNIFICANCE_LEVEL", "SRI4_PGA_WORSENING", "SRI4_SLEDAI_REDUCTION",
    "display_number", "half_up", "iqr_text", "p_text", "pct_text", "shown_values", "stat_text",
    "DATA_DIR", "EFFICACY_WEEKS", "LLDAS_WEEKS", "SAFETY_WEEKS", "SEROLOGY_WEEKS", "STATE_WEEKS", "SYNTHETIC_DIR",
    "VISIT_WEEKS", "ACTIVITY_MEASURES", "compute_results", "context_percentages", "data_flow", "derive_visits",
    "efficacy_visits", "gap_input_labels", "input_gap_table", "population_visits", "proportions_with_ci",
    "response_rates", "safety_rates", "visit_flow", "zoster_by_vaccination", "GROUPINGS", "SMALL_GROUP",
    "SUBGROUP_OUTCOMES", "add_groupings", "subgroup_comparison", "subgroup_differences",
    "DORIS_PREDNISONE_MAX_MG", "NON_RESPONSE_MIN_FOLLOW_UP_WEEKS", "STATES", "STATE_NOTES", "course_marks",
    "kaplan_meier", "km_medians", "km_time_text", "mixed_model_trajectory", "patient_courses", "proportion_with_ci",
    "responder_table", "responder_values", "state_counts", "state_transitions", "time_on_drug", "time_to_first",
    "transition_matrix", "visit_states", "wilcoxon_table_with_effects",
    "CohortValidationError", "clasi_a_50", "clasi_a_response", "clinical_sledai", "columns",
    "doris_remission", "lldas", "lldas_criteria", "load_codebook", "non_responder",
    "prednisone_equivalent", "read_cohort", "sfi_flare", "sfi_flare_criteria", "sle_das",
    "sle_das_category", "sle_das_items", "sledai2k", "sri4_modified", "table_spec", "validate_cohort",
]
