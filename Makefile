# Two commands do everything on a fresh Debian machine with Python 3 and pip:
#   make demo   installs what is missing, builds, decodes the demo clip
#   make test   installs what is missing, builds, runs the C++ tests and pytest
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLIP ?= samples/h264_bframes.mp4
DEB_PACKAGES := g++ make pkg-config cmake libgtest-dev ffmpeg \
                libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test build system-packages cpp-test pytest samples valgrind asan bench clean

demo: build
	$(PY) -m derenotes.demo $(CLIP)

test: build cpp-test pytest

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

build: system-packages $(VENV)/.installed
	$(PY) setup.py -q build_ext --inplace -j 2

cpp-test: system-packages
	cmake -S cpp -B build/cpp -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-cpp.log 2>&1 || (cat build-cpp.log; exit 1)
	cmake --build build/cpp -j 2 >> build-cpp.log 2>&1 || (cat build-cpp.log; exit 1)
	rm -f build-cpp.log
	build/cpp/derenotes_core_tests

pytest: build
	$(VENV)/bin/pytest -q

# Benchmarks against a C++ loop, PyAV, OpenCV, decord (and torchcodec where it imports): writes
# bench/RESULTS.md and bench/results.png. Takes about a quarter of an hour, most of it the first time.
bench: build
	$(PY) -m pip install -q -r bench/requirements.txt || echo "some benchmark libraries did not install; their methods are skipped"
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
# UndefinedBehaviorSanitizer build of the extension, made in a copy of the tracked files (build/asan-tree) so the normal build stays.
# Python itself is not instrumented: libasan is preloaded, and leak checking is off because
# CPython does not free everything at exit.
ASAN_RUNTIME = $(shell g++ -print-file-name=libasan.so):$(shell g++ -print-file-name=libubsan.so)
asan: system-packages $(VENV)/.installed
	rm -rf build/asan-tree && mkdir -p build/asan-tree
	git ls-files -z | xargs -0 cp --parents -t build/asan-tree
	cd build/asan-tree && DERENOTES_SANITIZE=address,undefined ../../$(PY) setup.py -q build_ext --inplace -j 2
	cmake -S cpp -B build/cpp-asan -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" > /dev/null
	cmake --build build/cpp-asan -j 2 > /dev/null
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/cpp-asan/derenotes_core_tests --gtest_brief=1
	cd build/asan-tree && LD_PRELOAD=$(ASAN_RUNTIME) ASAN_OPTIONS=detect_leaks=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ../../$(VENV)/bin/pytest -q -p no:cacheprovider

clean:
	rm -rf build $(VENV) derenotes/libs/image/*.so derenotes/libs/image/video.cpp
