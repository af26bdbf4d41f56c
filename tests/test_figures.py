"""figures/plots.py and validation/learning_curves.py on the authors' file layout."""
import os
import subprocess
import sys

import numpy as np

from conftest import REPO, reference_dir


def test_plots_on_reference_run(tmp_path):
    run = reference_dir('log1')
    proc = subprocess.run([sys.executable, 'plots.py', '--run', run, '--figures', '3C', '3D',
                           '8CEF'], cwd=os.path.join(REPO, 'figures'), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ('Figure_3_C', 'Figure_3_D', 'Figure_8_C', 'Figure_8_E', 'Figure_8_F'):
        path = os.path.join(REPO, 'figures', name + '.png')
        assert os.path.getsize(path) > 10000, name


def test_window_means_reproduce_spec_table():
    """validation/learning_curves.py on the reference runs gives MODEL_SPEC 10.2's table."""
    sys.path.insert(0, os.path.join(REPO, 'validation'))
    import learning_curves as lc
    ref = os.path.dirname(reference_dir('log1'))
    means = [lc.window_means(os.path.join(ref, 'log%d' % k)) for k in (0, 1, 2, 4, 5)]
    gpi = np.array([m['GPi', (90, 100)] for m in means])
    d2 = np.array([m['MSN_d2', (218, 228)] for m in means])
    np.testing.assert_allclose(gpi.mean(0), [56.80, 77.61], atol=0.006)
    np.testing.assert_allclose(d2.mean(0), [0.56, 6.39], atol=0.006)
    assert [lc.reward_counts(os.path.join(ref, 'log%d' % k))[1] for k in (0, 1, 2, 4, 5)] == \
        [83, 75, 75, 63, 69]
