"""Data-mix selection by proxy-model regression (RegMix, Data Mixing Laws, OLMo, CLIMB) and materialisation.

Modules: ``config`` (mix YAML), ``data`` (sources, targets, offline tokenizers), ``sampling`` (mixture
designs under bounds), ``proxy`` (proxy models: n-gram default, optional transformer), ``regression``
(per-target laws, cross-validation), ``optimise`` (search for the best mix), ``mix`` (the study:
``run_mix``), ``materialise`` (write the chosen mix at N tokens); for proxy runs trained elsewhere, ``tables``
(mixtures and losses tables), ``sources`` (names, token counts, bounds), ``plan`` (``winnow mix plan``) and
``fit`` (``winnow mix fit``); ``cli`` (``mix_command``, ``plan_command``, ``fit_command``,
``materialise_command``).
"""
