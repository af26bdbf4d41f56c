"""Basal-ganglia model parameters (data only).

Values follow docs/model.md sections 1-5 (the authors' NEST 2.20 "root"
model, itself the spiking version of the LG14 model of Lienard & Girard).
Units: time ms, potential mV, current / synaptic weight pA, rate Hz,
space in sheet units (the sheet is about 1 x 1).

Every switch named ``*_mode`` below reproduces one of the original's quirks
(docs/model.md §11); the default is always the original behaviour.
"""

bgParams = {
    # ------------------------------------------------------------------
    # Populations (docs/model.md §1.1). nb*: simulated neurons at scale 1;
    # count*: real neurons in the macaque BG (used for in-degrees only).
    # ------------------------------------------------------------------
    'nbMSN': 31728,          # MSN, first half D1, second half D2 (neurons)
    'nbFSI': 636,            # fast-spiking interneurons (neurons)
    'nbSTN': 96,             # subthalamic nucleus (neurons)
    'nbGPe': 300,            # globus pallidus externus (neurons)
    'nbGPi': 168,            # globus pallidus internus, BG output (neurons)
    'nbCSN': 36000,          # cortico-striatal input parrots (neurons)
    'nbPTN': 36000,          # pyramidal-tract input parrots (neurons)
    'nbCMPf': 36000,         # thalamic (CM/Pf) input parrots (neurons)
    'countMSN': 26448000,    # real MSN count (neurons)
    'countFSI': 532000,      # real FSI count (neurons)
    'countSTN': 77000,       # real STN count (neurons)
    'countGPe': 251000,      # real GPe count (neurons)
    'countGPi': 143000,      # real GPi count (neurons)
    'countCMPf': 86000,      # real CM/Pf count (neurons)

    # ------------------------------------------------------------------
    # Input rates: lower bounds of normalrate (Hz), docs/model.md §1.1 / 10.1
    # ------------------------------------------------------------------
    'rateCSN': 2.0,          # Poisson rate driving each CSN parrot (Hz)
    'ratePTN': 15.0,         # Poisson rate driving each PTN parrot (Hz)
    'rateCMPf': 4.0,         # Poisson rate driving each CMPf parrot (Hz)
    'input_delay': 1.0,      # Poisson generator -> parrot delay (ms)

    # ------------------------------------------------------------------
    # Neuron model iaf_psc_alpha_multisynapse (docs/model.md §1.2)
    # ------------------------------------------------------------------
    'common_neuron': {
        'E_L': 0.0,          # resting potential (mV)
        'V_reset': 0.0,      # reset potential (mV)
        'V_m': 0.0,          # initial membrane potential, all neurons (mV)
        'V_min': -20.0,      # lower bound of V_m (mV)
        't_ref': 2.0,        # refractory period (ms)
        'V_th': 10.0,        # default threshold, overridden per nucleus (mV)
        # synaptic time constants of ports 1=AMPA, 2=NMDA, 3=GABA (ms): 5/e, 100/e, 5/e
        'tau_syn': [1.8393972058572117, 36.787944117144235, 1.8393972058572117],
    },
    # per nucleus: C_m (pF), tau_m (ms), V_th (mV)
    'MSN_neuron': {'C_m': 13.0, 'tau_m': 13.0, 'V_th': 30.0},
    'FSI_neuron': {'C_m': 3.1, 'tau_m': 3.1, 'V_th': 16.0},
    'STN_neuron': {'C_m': 6.0, 'tau_m': 6.0, 'V_th': 26.0},
    'GPe_neuron': {'C_m': 14.0, 'tau_m': 14.0, 'V_th': 11.0},
    'GPi_neuron': {'C_m': 14.0, 'tau_m': 14.0, 'V_th': 6.0},
    # constant input currents I_e (pA). IeMSN: the published data were
    # made on NEST 2.20 with 24.5 pA; the authors' NEST 3 translation uses
    # 26.0. Measured here on NEST 3.10 at full scale (msd 814, docs/validation.md):
    # 24.5 reproduces the published stimulated episode-0 rates (GPi 81.6/83.5
    # vs 82.9/85.6 Hz, D1 0.150/0.044 vs 0.197/0.051) and the published
    # unstimulated MSN rate (~0.001 Hz), but leaves resting MSN at 0.0001 Hz,
    # below normalrate (0.05-1), as the published runs also are. 26.0 meets
    # the NEST-3-translation resting values (MSN 0.050 Hz) but makes
    # stimulated MSNs ~10x too active (GPi 40.6/51.2 at episode 0).
    'IeMSN': 24.5,           # (pA); set 26.0 for the NEST 3 translation's value
    'IeFSI': 8.0,            # (pA)
    'IeSTN': 9.0,            # (pA)
    'IeGPe': 11.0,           # (pA)
    'IeGPi': 8.5,            # (pA)
    'receptor': {'AMPA': 1, 'NMDA': 2, 'GABA': 3},   # receptor ports (1-based)

    # ------------------------------------------------------------------
    # Connectivity (docs/model.md §4). Keys are "SRC->TGT"; projections are
    # built in lexicographic key order.
    # ------------------------------------------------------------------
    # alpha: maximal number of contacts (LG14), dimensionless
    'alpha': {
        'CMPf->FSI': 1053, 'CMPf->GPe': 79, 'CMPf->GPi': 131, 'CMPf->MSN': 4965,
        'CMPf->STN': 76, 'CSN->FSI': 250, 'CSN->MSN': 342, 'FSI->FSI': 116,
        'FSI->MSN': 4362, 'GPe->FSI': 353, 'GPe->GPe': 38, 'GPe->GPi': 16,
        'GPe->MSN': 0, 'GPe->STN': 19, 'MSN->GPe': 171, 'MSN->GPi': 210,
        'MSN->MSN': 210, 'PTN->FSI': 5, 'PTN->MSN': 5, 'PTN->STN': 259,
        'STN->FSI': 91, 'STN->GPe': 428, 'STN->GPi': 233, 'STN->MSN': 0,
    },
    # ProjPercent: fraction of source neurons projecting to the target (0-1)
    'ProjPercent': {
        'CMPf->FSI': 1.0, 'CMPf->GPe': 1.0, 'CMPf->GPi': 1.0, 'CMPf->MSN': 1.0,
        'CMPf->STN': 1.0, 'CSN->FSI': 1.0, 'CSN->MSN': 1.0, 'FSI->FSI': 1.0,
        'FSI->MSN': 1.0, 'GPe->FSI': 0.16, 'GPe->GPe': 0.84, 'GPe->GPi': 0.84,
        'GPe->MSN': 1.0, 'GPe->STN': 1.0, 'MSN->GPe': 1.0, 'MSN->GPi': 0.82,
        'MSN->MSN': 1.0, 'PTN->FSI': 1.0, 'PTN->MSN': 1.0, 'PTN->STN': 1.0,
        'STN->FSI': 0.17, 'STN->GPe': 0.83, 'STN->GPi': 0.72, 'STN->MSN': 1.0,
    },
    # distcontact: relative distance of the contact along the dendrite (0-1)
    'distcontact': {
        'CMPf->FSI': 0.06, 'CMPf->GPe': 0.0, 'CMPf->GPi': 0.48, 'CMPf->MSN': 0.27,
        'CMPf->STN': 0.46, 'CSN->FSI': 0.82, 'CSN->MSN': 0.95, 'FSI->FSI': 0.16,
        'FSI->MSN': 0.19, 'GPe->FSI': 0.58, 'GPe->GPe': 0.01, 'GPe->GPi': 0.13,
        'GPe->MSN': 0.06, 'GPe->STN': 0.58, 'MSN->GPe': 0.48, 'MSN->GPi': 0.59,
        'MSN->MSN': 0.77, 'PTN->FSI': 0.70, 'PTN->MSN': 0.98, 'PTN->STN': 0.97,
        'STN->FSI': 0.41, 'STN->GPe': 0.30, 'STN->GPi': 0.59, 'STN->MSN': 0.16,
    },
    # transmission delays (ms), docs/model.md §4.5
    'tau': {
        'CMPf->FSI': 7.0, 'CMPf->GPe': 7.0, 'CMPf->GPi': 7.0, 'CMPf->MSN': 7.0,
        'CMPf->STN': 7.0, 'CSN->FSI': 7.0, 'CSN->MSN': 7.0, 'FSI->FSI': 1.0,
        'FSI->MSN': 1.0, 'GPe->FSI': 3.0, 'GPe->GPe': 1.0, 'GPe->GPi': 3.0,
        'GPe->MSN': 3.0, 'GPe->STN': 10.0, 'MSN->GPe': 7.0, 'MSN->GPi': 11.0,
        'MSN->MSN': 1.0, 'PTN->FSI': 3.0, 'PTN->MSN': 3.0, 'PTN->STN': 3.0,
        'STN->FSI': 3.0, 'STN->GPe': 3.0, 'STN->GPi': 3.0, 'STN->MSN': 3.0,
    },
    # projections with a local (focused) mask; all others are diffuse
    'focused': ['CSN->FSI', 'CSN->MSN', 'GPe->GPi', 'GPe->STN', 'MSN->GPe',
                'MSN->GPi', 'MSN->MSN', 'PTN->FSI', 'PTN->MSN', 'PTN->STN'],
    'focused_radius': 0.15,  # radius of focused masks (sheet units)
    'diffuse_radius_factor': 2.0,  # diffuse radius = factor * max(scalefactor) (sheet units)
    'redundancy': 3.0,       # redundancy r: K = nu / r (dimensionless)
    'RedundancyType': 'outDegreeAbs',  # 'outDegreeAbs' (used), 'inDegreeAbs', 'outDegreeCons'
    'wPSP': [1.0, 0.025, -0.25],  # base PSP weights AMPA, NMDA, GABA (pA)
    'Ri': 2.0,               # intracellular resistivity (dendritic cable model, a.u.)
    'Rm': 2.0,               # membrane resistivity (dendritic cable model, a.u.)
    # dendritic length lx (m) and diameter dx (m) per target nucleus
    'lx': {'FSI': 9.61e-4, 'GPe': 8.65e-4, 'GPi': 1.132e-3, 'MSN': 6.19e-4, 'STN': 7.5e-4},
    'dx': {'FSI': 1.5e-6, 'GPe': 1.7e-6, 'GPi': 1.2e-6, 'MSN': 1.0e-6, 'STN': 1.5e-6},
    # gains (dimensionless). GMSN_GPx applies to MSN->GPe/GPi whenever
    # plastic_syn is on, i.e. in every mode
    'GGPe_STN': 1.0,
    'GSTN_GPi': 1.0,
    'GMSN_MSN': 1.0,
    'GMSN_GPx': 0.3,
    'plast_gain': 0.65,      # extra gain of plastic cortico-striatal synapses
    'plastic_syn': True,     # cortico-striatal synapses are dopamine-STDP (all modes)
    # the projections made dopamine-STDP when plastic_syn is on (docs/model.md
    # 4.11): onto D1 MSNs with syn_d1, onto D2 MSNs with syn_d2; their
    # sources are the inputs whose synapses are checkpointed and read out
    'plastic_projections': ['CSN->MSN', 'PTN->MSN'],

    # pathway mixing and collateral asymmetry (docs/model.md §4.9, 4.10)
    'overlap_d1d2': 0.1,     # lambda in [0, 1]: D2 share of MSN->GPi, D1 share of MSN->GPe
    'syn_asymm': 2.0,        # kappa >= 0: weight factor of D2 -> MSN collaterals
    'asymmetry_1': 0.5,      # fraction of the 70 collaterals for D2->D2, D2->D1, D1->D1
    'asymmetry_2': 0.1,      # fraction of the 70 collaterals for D1->D2
    'MSND2_mod': 1.0,        # eta > 0: factor on MSN_D2 -> MSN/GPe/GPi at the first dip

    # ------------------------------------------------------------------
    # Dopamine-modulated STDP (docs/model.md §5)
    # ------------------------------------------------------------------
    'stdp': {
        'A_plus_d1': 0.013,  # construction default of syn_d1 (overwritten each episode)
        'A_minus_d1': 0.00325,
        'A_plus_d2': 0.013,  # construction default of syn_d2 (overwritten each episode)
        'A_minus_d2': -0.013,
        'Wmax': 4.0,         # upper weight bound (pA)
        'Wmin': 0.0,         # lower weight bound (pA)
        'b': 0.0,            # dopamine baseline (1/ms units of n)
        'tau_plus': 20.0,    # pre-synaptic trace time constant (ms)
        'tau_c': 700.0,      # eligibility-trace time constant (ms)
        'tau_n': 100.0,      # dopamine-trace time constant (ms)
    },

    # ------------------------------------------------------------------
    # Channels (docs/model.md §3)
    # ------------------------------------------------------------------
    'n_channels': 6,         # channels on the corners of a hexagon
    'channel_ring_radius': 0.24,  # distance of channel centres from the origin (sheet units)
    'channel_radius': 0.12,  # membership radius (sheet units)

    # ------------------------------------------------------------------
    # Quirk switches (docs/model.md §11); defaults reproduce the original
    # ------------------------------------------------------------------
    # fractional remainder: 'original' = Bernoulli p = 1/(N_src*R) over
    # all (target, source-in-mask) pairs (realises ~0-90 synapses, STN->FSI
    # practically absent); 'expected_count' = R synapses in total; 'none'.
    'remainder_mode': 'original',
    # diffuse masks: 'original' = radius-2 mask on the periodic 2x2
    # sheet (sources weighted 1-4 by periodic-image multiplicity, biased up
    # and to the right); 'uniform' = non-spatial fixed in-degree.
    'diffuse_mode': 'original',
    # eta modulation: 'multiply' = weight *= eta per connection;
    # 'first_weight' = every weight := eta * weight of the set's first
    # connection (the original's code; identical here, weights are equal).
    'eta_mode': 'multiply',
    # number of channels reported in *_fr.txt rows: 5 (original) or 6
    'n_report_channels': 5,
    # K is capped at the source population size (at scale 1)
    'cap_indegree': True,

    # ------------------------------------------------------------------
    # Resting-state target ranges 'normalrate' (Hz), docs/model.md §10.1:
    # [low, high] per nucleus; used by the resting-state figure
    # ------------------------------------------------------------------
    'normalrate': {'CMPf': [4.0, 34.0], 'CSN': [2.0, 19.7], 'PTN': [15.0, 46.3],
                   'FSI': [7.8, 14.0], 'GPe': [55.7, 74.5], 'GPi': [59.1, 79.5],
                   'MSN': [0.05, 1.0], 'STN': [15.2, 22.8]},
}
