"""Simulation parameters (data only): edit this file, then run
``python3 stim_all_model.py``.

Units: time ms, rate Hz. Exactly one of ``resting_state``,
``action_selection`` and ``plasticity`` must be True.
"""

simParams = {
    # ------------------------------------------------------------------
    # Mode: switch exactly one on (docs/model.md §6)
    # ------------------------------------------------------------------
    'resting_state': True,     # 3-s spontaneous activity, mean rates (6.1)
    'action_selection': False,  # 11 x 11 grid of channel-1/2 inputs (6.2)
    'plasticity': False,       # 230-episode DA-STDP learning protocol (6.3)

    # ------------------------------------------------------------------
    # Kernel and reproducibility
    # ------------------------------------------------------------------
    'msd': 814,                # master seed (integer >= 1); derives every RNG stream
    'nbcpu': 2,                # NEST threads (>= 1); raise on a workstation
    'dt': 0.1,                 # simulation resolution (ms)
    'scalefactor': [1, 1],     # original sheet scale factors [s0, s1]; only [1, 1] is validated
    # Population scale knob (0 < scale <= 1), like the microcircuit's
    # N_scaling: multiplies the large populations MSN, CSN, PTN and CMPf at
    # constant sheet area; keeps every in-degree and weight; keeps FSI, STN,
    # GPe, GPi whole; scales the stimulated subsets. 1 = the paper's network.
    'scale': 1.0,
    # Keep the input layers CSN, PTN, CMPf (and the stimulated subsets) at
    # full size when scale < 1, so every MSN sees the input statistics of the
    # full network (parrot density in its mask, inputs shared with its
    # neighbours); only the MSNs shrink. The reference for reduced-scale
    # checks, at 2-3x the wall time of the default (docs/validation.md,
    # Reduced scale); False: the input layers of input_draw below.
    'full_size_inputs': False,
    # Scale of the input layers (and their stimulated subsets) between the
    # network's scale and 1, for reduced-scale runs: None follows
    # full_size_inputs and input_draw (1 when full_size_inputs, twice scale
    # for 'matched', else scale); a number such as 0.3 keeps that share of the
    # full input layers (docs/validation.md, Reduced scale).
    'input_layer_scale': None,
    # How each input node gets its Poisson train (the same process every
    # way: independent Poisson trains, spikes on the dt grid; docs/performance.md, Input drive):
    #   'spike_train_injector'  injector nodes loaded with trains drawn in
    #                           NumPy stretch by stretch; cost grows with the
    #                           spikes (default, fastest);
    #   'poisson_generator_ps'  parrots fed by one poisson_generator_ps per layer;
    #   'poisson_generator'     parrots fed by one poisson_generator per layer,
    #                           one Poisson draw per parrot per step (the
    #                           original's drive, ~2x slower at full scale).
    'input_generator': 'spike_train_injector',
    # How the input layers (CSN, PTN, CMPf) and the integer in-degree of their
    # projections are drawn:
    #   'matched'             at scale 1 NEST's draw (the original, byte for
    #                         byte); at scale < 1 input layers at twice the
    #                         network's scale (unless full_size_inputs or
    #                         input_layer_scale say otherwise) with sources
    #                         repeated as a full-size layer repeats them, so a
    #                         reduced-scale run's MSN rates are near the
    #                         published ones at little cost (default;
    #                         docs/validation.md, Reduced scale);
    #   'nest'                NEST's fixed in-degree inside the mask, sources may
    #                         repeat, from layers at the network's scale (the
    #                         original; at reduced scale a mask holds few input
    #                         nodes, so repeats are frequent and MSNs fire about
    #                         twice the published rate at 0.1);
    #   'without_repetition'  distinct sources per target wherever the mask holds
    #                         enough (drawn in NumPy from msd);
    #   'full_scale_repeats'  sources repeated per target as often as a
    #                         full-size layer would repeat them, distinct
    #                         otherwise (drawn in NumPy from msd);
    #   'balanced_repeats'    repeated as often as misses the full network's
    #                         input variance and stimulated-count variance by
    #                         the same fraction (drawn in NumPy from msd).
    'input_draw': 'matched',
    # The same choice for the projections from MSNs, whose sources shrink with
    # scale too: 'nest' (the original) or one of the NumPy draws of
    # input_draw (reduced-scale candidates under study, docs/validation.md).
    # In effect it
    # changes MSN->MSN only: MSN->GPe and MSN->GPi draw more synapses per
    # target than their mask holds MSNs at any scale, so they keep repeating.
    'msn_draw': 'nest',

    # ------------------------------------------------------------------
    # Recording and output
    # ------------------------------------------------------------------
    'record_inputs': False,    # also record CSN, PTN, CMPf spikes (costly at full scale)
    'save_spikes': True,       # write recorded spikes to log/<pop>_spikes.dat
    'record_start': 1000.0,    # spike recorders start at this time (ms)
    # Volume-transmitter delivery interval, in multiples of min_delay (1 ms
    # here): every interval the transmitter updates every plastic synapse.
    # Weights change only when dopamine arrives, so in resting_state and
    # action_selection any interval gives bit-identical spikes (tested). In
    # plasticity, 100 follows the STDP rule to round-off where 1 departs from
    # it when dopamine and a pre spike share a 1-ms slice (tested), is ~20x
    # faster at full scale, and gives learning curves indistinguishable from
    # interval 1 over 5 seeds (docs/validation.md, validation/deliver_interval_study.py). Weight read-outs fall on episode ends
    # (multiples of 100 ms), which are delivery times (checked at start:
    # pl_warmup and the episode length must be multiples of the period).
    'vt_deliver_interval': {'resting_state': 1000, 'action_selection': 1000,
                            'plasticity': 100},

    # ------------------------------------------------------------------
    # resting_state (docs/model.md §6.1)
    # ------------------------------------------------------------------
    'simDuration': 3000.0,     # simulated time (ms); rates over [record_start, simDuration]
    'initial_ignore': 0.0,     # extra time simulated before simDuration (ms)
    'at_window': 1.0,          # sliding window of the population activity A(t) (ms)

    # ------------------------------------------------------------------
    # action_selection (docs/model.md §6.2)
    # ------------------------------------------------------------------
    'as_warmup': 1000.0,       # warm-up before the first episode (ms)
    'as_grid': 11,             # grid size: channel-1 x channel-2 levels (levels 0..n-1)
    'as_rate_step': 1.7,       # extra CSN rate per grid level (Hz)
    'as_ptn_ratio': 1.8,       # PTN extra rate / CSN extra rate
    'as_stim_duration': 500.0,  # stimulus per episode (ms)
    'as_break_duration': 500.0,  # break after each stimulus (ms)
    'as_n_stim': 200,          # stimulated parrots per channel at scale 1 (CSN and PTN)
    'stim_delay': 2.0,         # stimulus generator -> stimulated parrot delay (ms), both task
                               # modes (docs/model.md §4.12); the stimulus reaches the parrots
                               # stim_delay ms after the window opens

    # ------------------------------------------------------------------
    # plasticity (docs/model.md §5, 6.3)
    # ------------------------------------------------------------------
    'condition': 'normal',     # 'normal', 'parkinson', 'schizophrenia' (STDP windows, docs/model.md §7)
    'dc': 0.00056,             # STDP amplitude scale (dimensionless)
    # STDP windows per condition, phase (DA burst in CS+, dip in CS-) and
    # half: [A_plus, A_minus] in units of dc (docs/model.md §5, 7), each a number
    # or an exact fraction 'p/q' (computed as dc * p / q). Applied to
    # syn_d1 / syn_d2 at the start of every episode; the analytic window
    # figures (3D, 8C/E/F) are drawn from these entries. Parkinson (reversed
    # burst windows) and schizophrenia (weaker D2 dip window) are inferred
    # from the published figures; the authors' code for them is not public.
    'stdp_windows': {
        'normal': {'burst': {'d1': ['1', '1/4'], 'd2': ['1/3', '3/4']},
                   'dip': {'d1': ['-1/40', '1/40'], 'd2': ['1', '-1']}},
        'parkinson': {'burst': {'d1': ['-1', '1/4'], 'd2': ['1/3', '-3/4']},
                      'dip': {'d1': ['-1/40', '1/40'], 'd2': ['1', '-1']}},
        'schizophrenia': {'burst': {'d1': ['1', '1/4'], 'd2': ['1/3', '3/4']},
                          'dip': {'d1': ['-1/40', '1/40'], 'd2': ['1/4', '-1/4']}},
    },
    'Istrong': 8,              # strong stimulus in rate steps (x 1.7 Hz CSN)
    'Iweak': 6,                # weak stimulus in rate steps (x 1.7 Hz CSN)
    'pl_rate_step': 1.7,       # CSN Hz per stimulus step
    'pl_ptn_ratio': 1.8,       # PTN / CSN stimulus ratio
    'pl_n_stim': 300,          # stimulated parrots per channel at scale 1
    'pl_warmup': 1000.0,       # warm-up before episode 0 (ms)
    'DA_rate': 20.0,           # dopamine Poisson rate (Hz)
    'con_ep': 100,             # CS+ conditioning: episodes 0..con_ep
    'gen_ep': 30,              # generalisation (silence + probes) episodes after con_ep
    'dis_ep': 100,             # total episodes = con_ep + gen_ep + dis_ep (230); CS- training
                               # episodes are con_ep+gen_ep+1 .. total-1 (131-229)
    'n_unreinforced': 2,       # last episodes never reinforced (228-229)
    'probe_T1': [5, 15],       # generalisation probes with the CS+ pattern (offset after con_ep)
    'probe_T2': [10, 20],      # generalisation probes with the CS- pattern (offset after con_ep)
    'stim_duration': 1000.0,   # stimulus window (ms)
    'break_duration': 500.0,   # stimulus end -> DA onset (ms)
    'burst_duration': 300.0,   # DA burst window (ms)
    'dip_duration': 400.0,     # DA dip window (ms)
    'post_duration': 1000.0,   # after the 300-ms DA slot (ms); episode = 2800 ms
    'd2_guard_rate': 70.0,     # no dip when MSN_d2 channel-2 rate >= this (Hz)
    'checkpoint_every': 10,    # save a checkpoint every N episodes (0 = never)
    'weights_readout_msn': 100,  # mean_weights.txt averages the cortico-striatal weights onto
                               # at most this many MSNs per channel and D1/D2 half, drawn
                               # once from msd (0 = all). Reading a weight costs ~5 us, so
                               # reading all (1.7 M synapses at scale 1) adds ~10 s/episode;
                               # at scale <= 0.1 channels are smaller, so all are read
}


# The protocol of the authors' published run folders (docs/model.md §6.3), used
# only to READ folders that have no run.json (``run_folder.RunFolder``).
# Your own runs carry their protocol in run.json; edit simParams above, not
# this. The shipped simParams defaults equal it (tested).
paperProtocol = {
    'con_ep': 100, 'gen_ep': 30, 'dis_ep': 100,   # episodes (CS+ 0-100, probes 101-130)
    'probe_T1': [5, 15], 'probe_T2': [10, 20],    # probe offsets after con_ep
    'n_unreinforced': 2,                          # last episodes without dopamine
    'd2_guard_rate': 70.0,                        # no dip when MSN_d2 ch2 >= this (Hz)
    'condition': 'normal',                        # the folder suffix overrides it
    'dc': 0.00056,                                # STDP amplitude scale
    'stim_duration': 1000.0,                      # rate window per episode (ms)
}
