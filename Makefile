# Two commands do everything on a fresh Debian machine with Python 3 and pip:
#   make demo   installs what is missing, builds, decodes the demo clip
#   make test   installs what is missing, builds, runs the C++ tests and pytest
PYTHON ?= python3
VENV := .venv
# `make test PYTHON_VERSION=3.9`: the same with another of pyenv's Pythons (3.9 to 3.13), in a
# virtual environment and build directory of its own (the module's file name carries its ABI).
ifdef PYTHON_VERSION
PYTHON := $(shell PYENV_VERSION=$(PYTHON_VERSION) pyenv which python)
VENV := .venv-$(PYTHON_VERSION)
endif
PY := $(VENV)/bin/python
CLIP ?= samples/h264_bframes.mp4
DEB_PACKAGES := g++ make pkg-config cmake libgtest-dev ffmpeg \
                libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
# pytest runs the suite in PYTEST_WORKERS processes (pytest-xdist; 0: in pytest's own process).
PYTEST_WORKERS ?= 2
PYTEST_OPTIONS = -q -n $(PYTEST_WORKERS)
# Quiet the nested makes of CMake's build directories.
MAKEFLAGS += --no-print-directory
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test build system-packages cpp-test pytest samples valgrind asan bench clean \
        fuzz fuzz-packages fuzz-build asan-build wheel test-wheel sdist ffmpeg test-ffmpeg matrix

# One CMake project (CMakeLists.txt) builds everything, a build directory per configuration:
#   build/dev    the extension, written into derenotes/libs/image/ (pytest and the demo import it
#                from the tree), and the C++ tests; Release flags
#   build/asan   the same with ASan + UBSan; the extension goes into build/asan-tree
#   build/fuzz   the libFuzzer target, with clang
#   build/wheel-X.Y  what tests/test_build.py's wheel build reuses (scikit-build-core), per Python;
#                build/wheel-bundled-X.Y the same for `make wheel` (tools/wheel.sh)
# Each is configured once (again when the virtual environment changes, or CMake decides it must);
# after that `cmake --build` rebuilds only what changed.
CMAKE_PYTHON = -DPython_EXECUTABLE=$(CURDIR)/$(PY)
DEV_BUILD := build/dev$(if $(PYTHON_VERSION),-$(PYTHON_VERSION))
ASAN_BUILD := build/asan$(if $(PYTHON_VERSION),-$(PYTHON_VERSION))$(if $(FFMPEG),-ffmpeg-$(FFMPEG))
# With FFMPEG=X, `make asan` and `make test` build against that release (tools/ffmpeg.sh builds it
# once) and test with its ffmpeg and ffprobe as the oracles, and the benchmark's C++ programs
# compiled against it; the tests' own clips still come from the system's CLI (samples/clip_tools.py).
ifdef FFMPEG
FFMPEG_PREFIX := $(shell tools/ffmpeg.sh $(FFMPEG))
$(if $(FFMPEG_PREFIX),,$(error tools/ffmpeg.sh $(FFMPEG) failed))
WITH_FFMPEG := PKG_CONFIG_PATH=$(FFMPEG_PREFIX)/lib/pkgconfig
FFMPEG_TEST_ENV := $(WITH_FFMPEG) DERENOTES_CLIP_BIN=$(dir $(shell command -v ffmpeg)) PATH=$(FFMPEG_PREFIX)/bin:$$PATH
endif
ASAN_TREE := $(ASAN_BUILD)-tree
SANITIZERS := address,undefined

demo: build
	$(PY) -m derenotes.demo $(CLIP)

# `make test FFMPEG=7.1`: the same against another FFmpeg release (test-ffmpeg, below).
ifdef FFMPEG
test: test-ffmpeg
else
test: build cpp-test pytest
endif

# Debian packages: installed only when one is missing.
system-packages:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements-dev.txt | system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Configures $(1) with the options $(2) (in the environment $(3)), its output in $(1).log (shown when it fails).
configure = mkdir -p $(1) && $(3) cmake -S . -B $(1) $(2) > $(1).log 2>&1 || (cat $(1).log; exit 1)

$(DEV_BUILD)/CMakeCache.txt: $(VENV)/.installed | system-packages
	$(call configure,$(DEV_BUILD),-DCMAKE_BUILD_TYPE=Release $(CMAKE_PYTHON) \
	  -DDERENOTES_MODULE_DIR=$(CURDIR)/derenotes/libs/image)

build: system-packages $(VENV)/.installed $(DEV_BUILD)/CMakeCache.txt
	@cmake --build $(DEV_BUILD) -j 2 --target derenotes_video

cpp-test: system-packages $(DEV_BUILD)/CMakeCache.txt
	@cmake --build $(DEV_BUILD) -j 2 --target derenotes_core_tests
	$(DEV_BUILD)/derenotes_core_tests

# The binary wheel (tools/wheel.sh, docs/install.md): FFmpeg $(FFMPEG_NEWEST) built for it and bundled,
# repaired with auditwheel, in build/wheelhouse/bundled/. `make test-wheel` installs it into a
# fresh virtual environment and runs the suite against it (tools/test_wheel.sh). `make sdist`:
# the source distribution, in build/wheelhouse/.
wheel: system-packages $(VENV)/.installed
	PYTHON=$(PY) tools/wheel.sh $(FFMPEG_NEWEST)

test-wheel: wheel
	PYTHON_BASE=$(PYTHON) tools/test_wheel.sh $(FFMPEG_NEWEST)

sdist: $(VENV)/.installed
	$(PY) -m pip install -q -r tools/requirements-wheel.txt
	$(PY) -m build --sdist --no-isolation --outdir build/wheelhouse .

pytest: build
	$(VENV)/bin/pytest $(PYTEST_OPTIONS)

# Decoding, random-access and audio benchmarks against C++ programs over FFmpeg, PyAV, OpenCV, decord
# and torchcodec (where they install and import): writes bench/RESULTS.md and bench/results.png. Takes
# about a quarter of an hour (random access about two minutes of it), most of it the first time, and
# the audio part about eight minutes more, the clip-sampling part about 25 (and 7 to make its videos).
bench: build
	$(PY) -m pip install -q -r bench/requirements.txt || echo "some benchmark libraries did not install; their methods are skipped"
	$(PY) -m pip install -q -r bench/requirements-torch.txt || echo "torch or torchcodec did not install; the torchcodec methods are skipped"
	$(PY) bench/bench.py

# Regenerates the sample clips and their manifest (needs the ffmpeg CLI).
samples:
	$(PYTHON) samples/make_samples.py

# The lifetime and error tests under valgrind's memcheck (the subprocesses the error tests start
# too, but not the ffmpeg CLI): any invalid read or write fails the run.
valgrind: build
	PYTHONMALLOC=malloc valgrind -q --error-exitcode=99 --trace-children=yes --suppressions=tests/valgrind.supp \
	  --trace-children-skip='*/ffmpeg,*/ffprobe' --leak-check=no \
	  $(VENV)/bin/pytest -q -p no:cacheprovider tests/test_buffers.py tests/test_errors.py

# The C++ tests (with leak checking) and the whole test suite against an AddressSanitizer +
# UndefinedBehaviorSanitizer build of the extension (build/asan, the module written into a copy of the
# checkout, build/asan-tree, whose tests run against it), so the normal build stays.
# Python itself is not instrumented: libasan is preloaded, and leak checking is off because
# CPython does not free everything at exit.
ASAN_RUNTIME = $(shell g++ -print-file-name=libasan.so):$(shell g++ -print-file-name=libubsan.so)
asan: asan-build
	@cmake --build $(ASAN_BUILD) -j 2 --target derenotes_core_tests
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(ASAN_BUILD)/derenotes_core_tests --gtest_brief=1
	cd $(ASAN_TREE) && $(FFMPEG_TEST_ENV) LD_PRELOAD=$(ASAN_RUNTIME) ASAN_OPTIONS=detect_leaks=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ../../$(VENV)/bin/pytest $(PYTEST_OPTIONS) -p no:cacheprovider

# Fuzzing, SECONDS each (60 unless given: `make fuzz SECONDS=300`): libFuzzer over the C++ decoder
# (fuzz/decoder_fuzzer.cpp), then damaged samples through the Python binding (fuzz/mutate.py),
# both with AddressSanitizer and UndefinedBehaviorSanitizer, libFuzzer with leak checking too.
# Any crash, hang or leak fails the run. libFuzzer leaves the input that failed in build/fuzz/
# and the inputs that found new code in build/fuzz/corpus (kept for the next run); mutate.py
# saves an input that failed in tests/fuzz_regressions/, which the test suite replays. mutate.py
# draws new inputs each run; FUZZ_SEED=<the seed it printed> draws a run's inputs again.
SECONDS ?= 60
FUZZ_SEED ?= $(shell date +%s)
FUZZ_DEB_PACKAGES := clang libclang-rt-14-dev
FUZZ_SEEDS = $(filter-out %.py %.json,$(wildcard samples/*))
fuzz: fuzz-build asan-build
	mkdir -p build/fuzz/corpus && cp $(FUZZ_SEEDS) build/fuzz/corpus/
	build/fuzz/decoder_fuzzer -max_total_time=$(SECONDS) -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
	  -print_final_stats=1 -artifact_prefix=build/fuzz/ build/fuzz/corpus > build/fuzz/libfuzzer.log 2>&1 \
	  || (tail -n 80 build/fuzz/libfuzzer.log; exit 1)
	@grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' build/fuzz/libfuzzer.log
	$(PY) fuzz/mutate.py --seconds $(SECONDS) --seed $(FUZZ_SEED) --tree $(ASAN_TREE)

# The Debian packages of `make test` and clang's, through system-packages' install-if-missing.
fuzz-packages:
	@$(MAKE) --no-print-directory system-packages DEB_PACKAGES="$(DEB_PACKAGES) $(FUZZ_DEB_PACKAGES)"

# build/fuzz/decoder_fuzzer: the core's sources instrumented (clang, libFuzzer + the sanitizers);
# FFmpeg is the system's, not instrumented.
build/fuzz/CMakeCache.txt: | fuzz-packages
	$(call configure,build/fuzz,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DDERENOTES_BUILD_FUZZER=ON -DDERENOTES_SANITIZE=$(SANITIZERS) -DDERENOTES_BUILD_EXTENSION=OFF -DDERENOTES_BUILD_TESTS=OFF)

fuzz-build: fuzz-packages build/fuzz/CMakeCache.txt
	@cmake --build build/fuzz -j 2 --target decoder_fuzzer

# The sanitized extension alone, in build/asan-tree (for `make asan` and `make fuzz`): a fresh copy
# of the checkout's files (tracked, and new ones not ignored), the module built in build/asan.
$(ASAN_BUILD)/CMakeCache.txt: $(VENV)/.installed | system-packages
	$(call configure,$(ASAN_BUILD),-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDERENOTES_SANITIZE=$(SANITIZERS) \
	  $(CMAKE_PYTHON) -DDERENOTES_MODULE_DIR=$(CURDIR)/$(ASAN_TREE)/derenotes/libs/image,$(WITH_FFMPEG))

asan-build: system-packages $(VENV)/.installed $(ASAN_BUILD)/CMakeCache.txt
	rm -rf $(ASAN_TREE) && mkdir -p $(ASAN_TREE)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(ASAN_TREE)
	@cmake --build $(ASAN_BUILD) -j 2 --target derenotes_video

# Other FFmpeg releases (docs/ffmpeg_versions.md). `make ffmpeg FFMPEG=7.1` builds that release
# from Debian's source package into ~/.cache/derenotes/ffmpeg/<version> (tools/ffmpeg.sh; once per
# release, about 7 minutes). `make test FFMPEG=7.1` (test-ffmpeg) builds the extension against it
# in build/ffmpeg-<release> (the module in a copy of the checkout, as for asan) and runs the C++
# tests and pytest there, with that release's ffmpeg and ffprobe as the oracles. `make matrix`
# runs the suite against the system's FFmpeg and each release of FFMPEG_RELEASES, and writes
# build/matrix/summary.md (the README's compatibility table).
FFMPEG_RELEASES := 4.3 7.1 8.1 9.0
FFMPEG_NEWEST := 9.0
FFMPEG_BUILD = build/ffmpeg-$(FFMPEG)$(if $(PYTHON_VERSION),-py$(PYTHON_VERSION))
FFMPEG_TREE = $(FFMPEG_BUILD)-tree
ffmpeg:
	tools/ffmpeg.sh $(or $(FFMPEG),$(FFMPEG_NEWEST))

matrix:
	tools/matrix.sh $(FFMPEG_RELEASES)

test-ffmpeg: system-packages $(VENV)/.installed
	@test -n "$(FFMPEG)" || { echo "make test-ffmpeg FFMPEG=<release>: one of $(FFMPEG_RELEASES)"; exit 2; }
	@rm -rf $(FFMPEG_TREE) && mkdir -p $(FFMPEG_TREE) && \
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(FFMPEG_TREE) && \
	$(WITH_FFMPEG) cmake -S . -B $(FFMPEG_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_PYTHON) \
	  -DDERENOTES_MODULE_DIR=$(CURDIR)/$(FFMPEG_TREE)/derenotes/libs/image > $(FFMPEG_BUILD).log 2>&1 \
	  || (cat $(FFMPEG_BUILD).log; exit 1) && \
	cmake --build $(FFMPEG_BUILD) -j 2 --target derenotes_video derenotes_core_tests && \
	{ $(FFMPEG_BUILD)/derenotes_core_tests --gtest_brief=1; cpp=$$?; \
	  cd $(FFMPEG_TREE) && $(FFMPEG_TEST_ENV) ../../$(VENV)/bin/pytest $(PYTEST_OPTIONS) -p no:cacheprovider; \
	  python=$$?; [ $$cpp = 0 ] && [ $$python = 0 ]; }

clean:
	rm -rf build $(VENV) derenotes/libs/image/*.so derenotes/libs/image/video.cpp
