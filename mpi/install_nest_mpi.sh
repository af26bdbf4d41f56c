#!/usr/bin/env bash
# Build NEST 3.10 with MPI into its own virtual environment.
#
#   bash mpi/install_nest_mpi.sh            # -> ${BG_MPI_ENV:-~/.cache/bg-nest-mpi}
#   source ~/.cache/bg-nest-mpi/bin/activate
#   mpirun -np 2 python3 stim_all_model.py --set nbcpu=1 ...
#
# NEST's PyPI wheel is threads-only; this compiles the same PyPI source
# distribution with -Dwith-mpi=ON (about 16 minutes on 2 cores) and adds
# mpi4py, which the package uses to sum spike counts over ranks. An
# environment that already imports NEST with MPI and mpi4py is kept, so
# running this again costs seconds. As root on Debian/Ubuntu the system
# packages are installed with apt-get; elsewhere install them yourself:
#   libopenmpi-dev openmpi-bin libgsl-dev libboost-dev libltdl-dev cmake
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
env_dir="${BG_MPI_ENV:-$HOME/.cache/bg-nest-mpi}"
nest_version="3.10.0"
python="${PYTHON:-python3}"

ready() {
    [ -x "$env_dir/bin/python3" ] && "$env_dir/bin/python3" - "$nest_version" <<'PY' >/dev/null 2>&1
import sys
import mpi4py  # noqa: F401
import nest
info = nest.GetKernelStatus('build_info')
sys.exit(0 if nest.__version__ == sys.argv[1] and info['have_mpi'] else 1)
PY
}

if ready; then
    echo "install_nest_mpi: $env_dir already has NEST $nest_version with MPI and mpi4py"
    exit 0
fi

packages=(libopenmpi-dev openmpi-bin libgsl-dev libboost-dev libltdl-dev cmake)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null \
            | grep -c '^ii')" -ne "${#packages[@]}" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${packages[@]}" >/dev/null
    fi
fi
command -v mpicc >/dev/null || { echo "install_nest_mpi: mpicc not found; install ${packages[*]}" >&2; exit 1; }

[ -x "$env_dir/bin/python3" ] || "$python" -m venv "$env_dir"
"$env_dir/bin/python3" -m pip install -q --upgrade pip
# The package's own requirements, without the threads-only NEST wheel (and without the
# editable install of the package, whose dependencies would bring that wheel back).
grep -v -e '^nest-simulator' -e '^-e ' "$here/requirements.txt" > "$env_dir/requirements-no-nest.txt"
"$env_dir/bin/python3" -m pip install -q -r "$env_dir/requirements-no-nest.txt" mpi4py
echo "install_nest_mpi: building NEST $nest_version with MPI (about 16 minutes on 2 cores)"
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$env_dir/bin/python3" -m pip install -q --no-binary nest-simulator \
    -C cmake.define.with-mpi=ON "nest-simulator==$nest_version"
ready || { echo "install_nest_mpi: the NEST built in $env_dir has no MPI" >&2; exit 1; }
echo "install_nest_mpi: done; use $env_dir/bin/python3 under mpirun"
