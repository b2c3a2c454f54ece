"""Hand-computed cases for SLEDAI-2K, clinical SLEDAI, SLE-DAS and prednisone equivalents."""
import math

import numpy as np
import pandas as pd
import pytest

from conftest import visit, visits
from lupus_utils import clinical_sledai, prednisone_equivalent, sle_das, sle_das_category, sledai2k
from lupus_utils.science.instruments import SLEDAI2K_WEIGHTS


def test_sledai2k_quiet_visit_is_zero():
    assert sledai2k(visits(visit())).tolist() == [0]


@pytest.mark.parametrize("item,weight", sorted(SLEDAI2K_WEIGHTS.items()))
def test_sledai2k_each_descriptor_alone_scores_its_weight(item, weight):
    v = visits(visit(**{item: 1}))
    assert sledai2k(v).iloc[0] == weight


def test_sledai2k_weights_are_gladman_2002():
    w = pd.Series(SLEDAI2K_WEIGHTS)
    assert len(w) == 24
    assert (w == 8).sum() == 8 and (w == 4).sum() == 6 and (w == 2).sum() == 7 and (w == 1).sum() == 3
    assert w.sum() == 105  # the maximum SLEDAI-2K


def test_sledai2k_and_clinical_sledai_hand_computed():
    # arthritis 4 + rash 2 + low complement 2 + anti-dsDNA 2 + leukopenia 1 = 11; clinical = 7
    v = visits(visit(sledai_arthritis=1, sledai_rash=1, sledai_low_complement=1,
                     sledai_increased_dna_binding=1, sledai_leukopenia=1))
    assert sledai2k(v).iloc[0] == 11
    assert clinical_sledai(v).iloc[0] == 7


def test_clinical_sledai_serology_only_is_zero():
    v = visits(visit(sledai_low_complement=1, sledai_increased_dna_binding=1))
    assert sledai2k(v).iloc[0] == 4
    assert clinical_sledai(v).iloc[0] == 0


def test_sledai2k_missing_item_gives_missing_not_zero():
    v = visits(visit(sledai_rash=np.nan))
    assert pd.isna(sledai2k(v).iloc[0])


def test_sledai2k_missing_column_is_named():
    with pytest.raises(KeyError, match="sledai_fever"):
        sledai2k(visits(visit()).drop(columns="sledai_fever"))


@pytest.mark.parametrize("drug,dose,expected", [
    ("none", 0, 0.0), ("prednisone", 7.5, 7.5), ("prednisolone", 5, 5.0),
    ("methylprednisolone", 4, 5.0), ("methylprednisolone", 6, 7.5), ("deflazacort", 6, 5.0),
    ("deflazacort", 9, 7.5), ("hydrocortisone", 20, 5.0), ("cortisone", 25, 5.0),
    ("dexamethasone", 0.75, 5.0), ("betamethasone", 0.6, 5.0), ("triamcinolone", 4, 5.0),
    ("Methylprednisolone ", 2, 2.5),
])
def test_prednisone_equivalent(drug, dose, expected):
    v = visits(visit(gc_drug=drug, gc_dose_mg=dose))
    assert prednisone_equivalent(v).iloc[0] == pytest.approx(expected)


def test_prednisone_equivalent_unknown_drug_named():
    with pytest.raises(ValueError, match="budesonide"):
        prednisone_equivalent(visits(visit(gc_drug="budesonide", gc_dose_mg=3)))


# --- SLE-DAS: 0.366 intercept; hand-computed from the formula (Jesus 2019, Figure 1) ---

def test_sle_das_no_activity_is_intercept():
    assert sle_das(visits(visit())).iloc[0] == pytest.approx(0.366)


def test_sle_das_joints_rash_serology():
    # 0.366 + arthritis 3.132 + 4 x 0.454 + generalized rash 3.887 + C 0.754 + dsDNA 0.956 = 10.911
    v = visits(visit(sledai_arthritis=1, swollen_joints=4, tender_joints=4, sledai_rash=1,
                     rash_extent="generalized", sledai_low_complement=1, sledai_increased_dna_binding=1))
    assert sle_das(v).iloc[0] == pytest.approx(10.911, abs=1e-9)


def test_sle_das_localized_rash_and_alopecia():
    v = visits(visit(sledai_rash=1, rash_extent="localized", sledai_alopecia=1))
    assert sle_das(v).iloc[0] == pytest.approx(0.366 + 3.138 + 0.973)


def test_sle_das_laboratory_terms():
    # proteinuria 1.5 g = 1500 mg: -17.584 + 3.811 ln 1500 = 10.28625
    # platelets 80: 26.105 - 5.577 ln 80 = 1.66631; leukocytes 2.5: 6.118 - 5.058 ln 2.5 = 1.48345
    v = visits(visit(sledai_proteinuria=1, proteinuria_g_24h=1.5, sledai_thrombocytopenia=1,
                     platelets_10e9_l=80, sledai_leukopenia=1, leukocytes_10e9_l=2.5))
    expected = 0.366 + (-17.584 + 3.811 * math.log(1500)) + (26.105 - 5.577 * math.log(80)) + (6.118 - 5.058 * math.log(2.5))
    assert expected == pytest.approx(13.8025, abs=5e-4)
    assert sle_das(v).iloc[0] == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("protein_g,adds", [(0.5, False), (0.501, True)])
def test_sle_das_proteinuria_threshold_500mg(protein_g, adds):
    v = visits(visit(sledai_proteinuria=int(adds), proteinuria_g_24h=protein_g))
    expected = 0.366 + ((-17.584 + 3.811 * math.log(protein_g * 1000)) if adds else 0.0)
    assert sle_das(v).iloc[0] == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("platelets,adds", [(100, False), (99, True)])
def test_sle_das_platelet_threshold_100(platelets, adds):
    v = visits(visit(sledai_thrombocytopenia=int(adds), platelets_10e9_l=platelets))
    expected = 0.366 + ((26.105 - 5.577 * math.log(platelets)) if adds else 0.0)
    assert sle_das(v).iloc[0] == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("wbc,adds", [(3.0, False), (2.99, True)])
def test_sle_das_leukocyte_threshold_3(wbc, adds):
    v = visits(visit(sledai_leukopenia=int(adds), leukocytes_10e9_l=wbc))
    expected = 0.366 + ((6.118 - 5.058 * math.log(wbc)) if adds else 0.0)
    assert sle_das(v).iloc[0] == pytest.approx(expected, abs=5e-4)


def test_sle_das_major_organs_and_serositis():
    v = visits(visit(sledai_seizure=1), visit(vasculitis_type="systemic", sledai_vasculitis=1),
               visit(vasculitis_type="mucocutaneous", sledai_vasculitis=1),
               visit(cardiopulmonary_involvement=1), visit(sledai_myositis=1), visit(haemolytic_anaemia=1),
               visit(sledai_pleurisy=1, sledai_pericarditis=1), visit(sledai_mucosal_ulcers=1))
    assert sle_das(v).tolist() == pytest.approx([18.366, 18.366, 4.774, 18.366, 9.366, 9.366, 6.366, 3.135])


def test_sle_das_enteritis_is_systemic_vasculitis_and_peritonitis_is_serositis():
    # Jesus 2019, table of items: lupus enteritis scores as "systemic vasculitis" (18), sterile
    # peritonitis as "serositis" (6); neither adds again beside the item it belongs to
    v = visits(visit(lupus_enteritis=1), visit(sterile_peritonitis=1),
               visit(lupus_enteritis=1, vasculitis_type="systemic", sledai_vasculitis=1),
               visit(sterile_peritonitis=1, sledai_pleurisy=1), visit(other_gastrointestinal_lupus=1))
    assert sle_das(v).tolist() == pytest.approx([18.366, 6.366, 18.366, 6.366, 0.366])
    # SLEDAI-2K scores none of them (its vasculitis descriptor is recorded on its own)
    assert sledai2k(v).tolist() == [0, 0, 8, 2, 0]


def test_sle_das_neuropsychiatric_item_is_broader_than_sledai2k():
    # a myelopathy (no SLEDAI-2K descriptor) is SLE-DAS neuropsychiatric involvement (18), once
    v = visits(visit(other_neuropsychiatric_lupus=1), visit(other_neuropsychiatric_lupus=1, sledai_seizure=1))
    assert sle_das(v).tolist() == pytest.approx([18.366, 18.366])
    assert sledai2k(v).tolist() == [0, 8]


def test_sle_das_leaves_out_laboratory_values_not_attributed_to_lupus():
    # platelets 80, leukocytes 2.5, proteinuria 1.5 g with their SLEDAI-2K items at 0 (a drug, an
    # infection): neither SLEDAI-2K nor SLE-DAS counts them; with the items at 1, SLE-DAS adds
    # 1.66631 + 1.48345 + 10.28625 (see test_sle_das_laboratory_terms)
    labs = dict(platelets_10e9_l=80, leukocytes_10e9_l=2.5, proteinuria_g_24h=1.5)
    v = visits(visit(**labs), visit(sledai_thrombocytopenia=1, **labs))
    assert sle_das(v).tolist() == pytest.approx([0.366, 0.366 + 26.105 - 5.577 * math.log(80)], abs=5e-4)
    assert sledai2k(v).tolist() == [0, 1]


def test_sle_das_missing_descriptor_with_lab_beyond_threshold_is_missing():
    # platelets 50 with the thrombocytopenia descriptor unknown: whether it is lupus is unknown
    v = visits(visit(sledai_thrombocytopenia=np.nan, platelets_10e9_l=50), visit(sledai_thrombocytopenia=np.nan))
    out = sle_das(v)
    assert pd.isna(out.iloc[0]) and out.iloc[1] == pytest.approx(0.366)


def test_sle_das_missing_lab_with_item_present_is_missing():
    v = visits(visit(sledai_thrombocytopenia=1, platelets_10e9_l=np.nan),
               visit(sledai_thrombocytopenia=0, platelets_10e9_l=np.nan))
    out = sle_das(v)
    assert pd.isna(out.iloc[0]) and out.iloc[1] == pytest.approx(0.366)


@pytest.mark.parametrize("score,category", [(2.08, "remission"), (2.081, "mild"), (7.64, "mild"),
                                            (7.641, "moderate_severe"), (np.nan, np.nan)])
def test_sle_das_category_cut_offs(score, category):
    out = sle_das_category(pd.Series([score])).iloc[0]
    assert (pd.isna(out) and pd.isna(category)) or out == category


def test_sle_das_unknown_category_is_an_error():
    # 'skin' is not a vasculitis_type: scoring it as no vasculitis would hide 4.408 points
    with pytest.raises(ValueError, match="vasculitis_type has value.*skin"):
        sle_das(visits(visit(sledai_vasculitis=1, vasculitis_type="skin")))


def test_sle_das_item_of_several_inputs_is_missing_not_absent_when_one_is_missing():
    # serositis = pleurisy, pericarditis or peritonitis: with pleurisy unrecorded and nothing else
    # present the item (and the score) is unknown; with peritonitis present it is present anyway
    v = visits(visit(), visit(sterile_peritonitis=1), visit(vasculitis_type="systemic", sledai_vasculitis=1)).astype(
        {"sledai_pleurisy": "Float64", "lupus_enteritis": "Float64"})
    v.loc[:, "sledai_pleurisy"] = pd.NA
    v.loc[2, "lupus_enteritis"] = pd.NA
    out = sle_das(v)
    assert pd.isna(out.iloc[0])
    assert out.iloc[1] == pytest.approx(6.366)
    assert pd.isna(out.iloc[2])  # pleurisy still unknown; the vasculitis item itself is known (18)
    from lupus_utils.science.instruments import sle_das_items
    assert sle_das_items(v)["systemic_vasculitis"].tolist() == [0.0, 0.0, 1.0]


def test_prednisone_equivalent_no_drug_is_zero_and_a_missing_dose_is_unknown():
    from lupus_utils import prednisone_equivalent

    v = pd.DataFrame({"gc_drug": ["none", "none", "prednisone", "methylprednisolone"],
                      "gc_dose_mg": [np.nan, 0.0, np.nan, 4.0]})
    got = prednisone_equivalent(v).tolist()
    assert got[:2] == [0.0, 0.0] and np.isnan(got[2]) and got[3] == 5.0   # 4 mg methylprednisolone = 5 mg


# ---------------------------------------------------------------- storage of the columns
def _random_visits(n, seed):
    from pathlib import Path

    from conftest import load_script
    bench = Path(__file__).resolve().parent.parent / "benchmarks"
    return load_script(bench / "synthetic_visits.py").random_visits(n, seed=seed)


def test_scores_are_the_same_whatever_the_numeric_columns_are_stored_as():
    # integer items are read as they are, other dtypes as floats: the same scores either way
    v = _random_visits(7 * 200, seed=4)
    ints = [c for c in v.columns if v[c].dtype == "int64" and c != "week"]
    as_float = v.astype({c: "float64" for c in ints})
    as_nullable = v.astype({c: "Int64" for c in ints})
    for other in (as_float, as_nullable):
        assert sledai2k(other).dtype == sledai2k(v).dtype == "int64"
        pd.testing.assert_series_equal(sledai2k(other), sledai2k(v))
        pd.testing.assert_series_equal(clinical_sledai(other), clinical_sledai(v))
        pd.testing.assert_series_equal(sle_das(other), sle_das(v), check_exact=True)
    # a missing item still gives a missing score, and only there
    as_nullable.loc[3, "sledai_fever"] = pd.NA
    got = sledai2k(as_nullable)
    assert got.dtype == "float64" and got.isna().tolist() == [i == 3 for i in range(len(v))]


def test_a_common_text_value_matched_first_gives_what_looking_every_cell_up_gives():
    from lupus_utils.science.instruments import RASH_EXTENT_RANK, coded

    cells = ["none"] * 95 + [" None ", "LOCALIZED", None, "patchy", "generalized", "spotty", "patchy"]
    for column in (pd.Series(cells * 110, dtype=object), pd.Series(cells[::-1] * 110, dtype=object),
                   pd.Series(cells + [pd.NA], dtype=object)):  # pd.NA cannot be compared: every cell looked up
        fast, unknown_fast = coded(column, RASH_EXTENT_RANK, common="none")
        slow, unknown_slow = coded(column, RASH_EXTENT_RANK)
        np.testing.assert_array_equal(fast, slow)
        assert unknown_fast == unknown_slow  # named in order of first appearance
    assert unknown_fast == ["patchy", "spotty"]


def test_sle_das_read_from_the_table_of_combinations_adds_as_one_by_one():
    from lupus_utils.science.instruments import SLE_DAS_BINARY, SLE_DAS_INTERCEPT, _binary_sum, _sle_das_binary_items

    v = _random_visits(7 * 300, seed=12)
    for c in ("cardiopulmonary_involvement", "haemolytic_anaemia", "lupus_enteritis", "sterile_peritonitis"):
        v[c] = (np.arange(len(v)) % 5 == 0).astype("int64")  # every item present somewhere
    items = _sle_das_binary_items(v)
    one_by_one = np.full(len(v), SLE_DAS_INTERCEPT)
    for name, coef in SLE_DAS_BINARY.items():
        one_by_one += coef * items[name]
    np.testing.assert_array_equal(_binary_sum(items), one_by_one)  # the same sums, to the last bit
    # an item other than 0/1 (negative, 2, 256), or missing, is added one by one: coefficient x value
    for odd in (-1, 2, 256, np.nan):
        changed = v.astype({"sledai_myositis": "float64"} if odd != odd else {})
        changed.loc[3, "sledai_myositis"] = odd
        assert _binary_sum(_sle_das_binary_items(changed)) is None
        expected = sle_das(changed.drop(index=3)).to_list()
        got = sle_das(changed)
        assert got.drop(index=3).to_list() == expected
        if odd == odd:
            assert got[3] == round(sle_das(changed.assign(sledai_myositis=0)).iloc[3] + 9.0 * odd, 3)
        else:
            assert np.isnan(got[3])


def test_the_rash_and_vasculitis_text_coded_once_is_what_the_scores_read_with_use_derived():
    from lupus_utils.science.instruments import extent_rank, extent_ranks

    v = visits(visit(week=0), visit(week=4, sledai_rash=1, rash_extent="generalized", sledai_vasculitis=1,
                                    vasculitis_type="systemic"), visit(week=8, rash_extent=None))
    ranks = extent_ranks(v)
    assert list(ranks) == ["rash_extent_rank", "vasculitis_rank"]
    np.testing.assert_array_equal(ranks["rash_extent_rank"], [0.0, 2.0, np.nan])
    d = v.assign(**ranks)
    pd.testing.assert_series_equal(sle_das(d, use_derived=True), sle_das(v))
    np.testing.assert_array_equal(extent_rank(d, "vasculitis_type", use_derived=True), [0.0, 2.0, 0.0])
    # asked to, the score reads the carried ranks as given; without the flag it codes the text
    stale = d.assign(rash_extent_rank=0.0, vasculitis_rank=0.0)
    assert sle_das(stale, use_derived=True)[1] < sle_das(stale)[1] == sle_das(v)[1]
    with pytest.raises(KeyError, match="rash_extent_rank"):
        sle_das(v.assign(vasculitis_rank=0.0), use_derived=True)
    # text outside the codebook still raises where it is read
    bad = v.assign(vasculitis_type=["none", "systemic", "cutaneous"])
    for score in (extent_ranks, sle_das):
        with pytest.raises(ValueError, match="vasculitis_type has value.*cutaneous"):
            score(bad)


def test_clinical_sledai_from_the_carried_sledai2k_is_the_sum_of_the_clinical_items():
    v = _random_visits(7 * 100, seed=13)
    d = v.assign(sledai2k=sledai2k(v))
    pd.testing.assert_series_equal(clinical_sledai(d, use_derived=True), clinical_sledai(v))
    # asked to, it reads the carried score as given; by default it adds the items
    stale = d.assign(sledai2k=d["sledai2k"] + 10)
    assert (clinical_sledai(stale, use_derived=True) - clinical_sledai(stale)).eq(10).all()
    # with an item or the score stored as floats (one may be missing) it adds the items
    gap = d.astype({"sledai_low_complement": "float64"})
    gap.loc[2, "sledai_low_complement"] = np.nan
    pd.testing.assert_series_equal(clinical_sledai(gap.assign(sledai2k=sledai2k(gap)), use_derived=True),
                                   clinical_sledai(gap))
    with pytest.raises(KeyError, match="sledai2k"):
        clinical_sledai(v, use_derived=True)
