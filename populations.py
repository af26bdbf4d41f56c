"""Names of the model's populations, groups, modes and conditions, defined once."""

MODES = ('resting_state', 'action_selection', 'plasticity')
TASK_MODES = ('action_selection', 'plasticity')          # the modes made of episodes
CONDITIONS = ('normal', 'parkinson', 'schizophrenia')    # STDP windows (docs/model.md §7)

NUCLEI = ('GPi', 'MSN', 'FSI', 'STN', 'GPe')             # creation order (docs/model.md §1.4)
INPUTS = ('CSN', 'PTN', 'CMPf')                          # cortical and thalamic input layers
STIMULATED_INPUTS = ('CSN', 'PTN')                       # the layers a task stimulus drives
SCALED = ('MSN', 'CSN', 'PTN', 'CMPf')                   # populations the scale knob shrinks
MSN_HALVES = ('MSN_d1', 'MSN_d2')
HALVES = ('d1', 'd2')                                    # D1 / D2: synapse models syn_d1, syn_d2
RECORDED = ('GPi', 'MSN_d1', 'MSN_d2', 'FSI', 'STN', 'GPe', 'GPi_fake')   # spike recorders
SPIKE_RECORDERS = RECORDED + INPUTS + ('CSN_stim', 'PTN_stim')          # spike files
POSITION_POPS = ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'STN', 'GPe', 'GPi_fake') + INPUTS
AS_RATE_POPS = ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'PTN', 'CSN')          # action-selection rates
PL_RATE_POPS = ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'GPe', 'STN')   # plasticity rates
COMPARED_POPS = ('GPi', 'MSN_d1', 'MSN_d2')              # the populations of the comparisons
RESTING_REPORTED = ('GPi', 'GPe', 'STN', 'FSI', 'MSN_d1', 'MSN_d2')   # a resting run's summary
RESTING_ORDER = INPUTS + MSN_HALVES + ('FSI', 'STN', 'GPe', 'GPi')     # inputs to output
CHANNELS = tuple(range(6))                               # channel indices of the files

INPUT_DRIVES = ('spike_train_injector', 'poisson_generator_ps', 'poisson_generator')
# how the projections from the input layers and from MSNs are drawn (input_draw, msn_draw)
INPUT_DRAWS = ('nest', 'without_repetition', 'full_scale_repeats', 'balanced_repeats')
# input_draw also takes 'matched': NEST's draw at scale 1, the reduced-scale inputs of
# connectivity.input_plan below it (docs/validation.md, Reduced scale)
INPUT_DRAW_CHOICES = ('matched',) + INPUT_DRAWS
