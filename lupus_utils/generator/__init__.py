"""The generator of the SYNTHETIC cohort in data/synthetic/: a deterministic cohort calibrated to
the published aggregates of Tani C et al. (J Rheumatol 2024). None of these patients exists.

    python -m lupus_utils.generator [--out data/synthetic]

It stands apart from the analysis library: it uses the library, nothing in the library imports it.
Importing it reads no file and runs nothing; :func:`generate` reads the targets
(data/targets.csv), the scenario (data/synthetic/scenario.toml) and the repairs
(data/synthetic/repairs.csv) when called. How it is made (a SPRITE-style reconstruction: search
over coherent patient-level data until the published moments come out), stage by stage:

1. **Patients** (``patients``): Table 1 exactly, with the roles the Results describe.
2. **Follow-up**: the patients at each visit follow Table 3's patients in follow-up.
3. **Visits, item by item, by simulated annealing** (``search``) in four stages: (a) SLEDAI-2K
   descriptors, swollen joints and laboratory values (``stage_a``); (b) tender joints, (c) CLASI
   activity, (d) PGA and glucocorticoid dose (``stages``). Every move keeps the data coherent.
4. **Laboratory values** no descriptor asks for (``laboratory``): a level per patient plus small
   visit noise. **Adverse events** (``events``): Table 3's, event by event.
5. **Repairs** (``repairs``, stage e): recorded visit changes the search does not find.

``assemble.generate`` runs them in order; scores and outcome states are never written here: the book
computes them with ``lupus_utils``.
"""
