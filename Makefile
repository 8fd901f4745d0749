# libdatalake for C and C++: build, install, and the C/C++ test programs.
#
#   make lib                      cargo build --release -p datalake-ffi
#   make install PREFIX=/opt/dl   header, libdatalake.so, libdatalake.a, lib/pkgconfig/datalake.pc
#   make c-tests                  C11 and C++17 test programs into build/c/ (-Werror)
#   make check-symbols            libdatalake.so exports only datalake_* symbols
#
# The tests themselves run through pytest: `pytest tests/c` (tests/c/test_c_api.py).

CARGO        ?= cargo
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
INSTALL      ?= install

CXX          ?= c++
TARGET_DIR   := $(or $(CARGO_TARGET_DIR),target)
LIBOUT       := $(abspath $(TARGET_DIR))/release
SO           := $(LIBOUT)/libdatalake.so
STATIC       := $(LIBOUT)/libdatalake.a
VERSION      := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)

BUILD        := build/c
WARN         := -Wall -Wextra -Wpedantic -Werror
TEST_CFLAGS  := -std=c11 $(WARN) -g -O1 -pthread -Iinclude
TEST_CXXFLAGS:= -std=c++17 $(WARN) -g -O1 -pthread -Iinclude
TEST_LDLIBS  := -L$(LIBOUT) -Wl,-rpath,$(LIBOUT) -ldatalake -pthread
# Linking the static library: the native libraries Rust's std needs (as in datalake.pc.in).
STATIC_LIBS  := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

C_TESTS      := $(BUILD)/api_test $(BUILD)/api_test_cpp $(BUILD)/readme_example $(BUILD)/readme_example_static \
                $(BUILD)/monitoring_test $(BUILD)/files_test

.PHONY: all lib check-symbols install uninstall c-tests clean-c-tests

all: lib

lib:
	$(CARGO) build --release -p datalake-ffi

# Only the C API may be visible: no Rust std or dependency symbols leak from
# the shared library (the static one necessarily contains them).
check-symbols: lib
	@leaked=$$(nm -D --defined-only $(SO) | awk '{print $$NF}' | grep -v '^datalake_' || true); \
	if [ -n "$$leaked" ]; then \
		echo "libdatalake.so exports symbols outside the datalake_ namespace:"; echo "$$leaked"; exit 1; \
	fi; \
	echo "check-symbols: $$(nm -D --defined-only $(SO) | grep -c ' datalake_') datalake_* symbols, nothing else"

install: lib
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 include/datalake.h $(DESTDIR)$(INCLUDEDIR)/datalake.h
	$(INSTALL) -m 755 $(SO) $(DESTDIR)$(LIBDIR)/libdatalake.so
	$(INSTALL) -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libdatalake.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    datalake.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/datalake.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/datalake.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/datalake.h $(DESTDIR)$(LIBDIR)/libdatalake.so \
	      $(DESTDIR)$(LIBDIR)/libdatalake.a $(DESTDIR)$(PKGCONFIGDIR)/datalake.pc

c-tests: lib
	@$(MAKE) --no-print-directory $(C_TESTS)

$(BUILD):
	mkdir -p $@

$(BUILD)/api_test: tests/c/api_test.c tests/c/check.h include/datalake.h $(SO) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LDLIBS)

$(BUILD)/monitoring_test: tests/c/monitoring_test.c tests/c/check.h include/datalake.h $(SO) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LDLIBS)

$(BUILD)/files_test: tests/c/files_test.c tests/c/check.h include/datalake.h $(SO) | $(BUILD)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LDLIBS)

$(BUILD)/api_test_cpp: tests/c/api_test.cpp tests/c/check.h include/datalake.h $(SO) | $(BUILD)
	$(CXX) $(TEST_CXXFLAGS) -o $@ $< $(TEST_LDLIBS)

# The C example of include/README.md (its only ```c block), compiled exactly as written.
$(BUILD)/readme_example.c: include/README.md | $(BUILD)
	awk '/^```c$$/ {on = 1; next} /^```$$/ {on = 0} on' $< > $@
	@test -s $@ || { echo "include/README.md has no \`\`\`c block"; exit 1; }

$(BUILD)/readme_example: $(BUILD)/readme_example.c include/datalake.h $(SO)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LDLIBS)

$(BUILD)/readme_example_static: $(BUILD)/readme_example.c include/datalake.h $(STATIC)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(STATIC) $(STATIC_LIBS)

clean-c-tests:
	rm -rf $(BUILD)
