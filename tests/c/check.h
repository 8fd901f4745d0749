/*
 * Assertion helpers shared by the C11 and C++17 test programs.
 * Each failed check prints file:line, the condition and a message, then exits 1.
 */
#ifndef DATALAKE_TEST_CHECK_H
#define DATALAKE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datalake.h"

#define CHECK(cond, ...)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__, #cond);         \
      fprintf(stderr, __VA_ARGS__);                                                       \
      fputc('\n', stderr);                                                                \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

static const char *const STATUS_NAMES[] = {
    "DATALAKE_OK",
    "DATALAKE_ERR_INVALID_ARGUMENT",
    "DATALAKE_ERR_CONFIG",
    "DATALAKE_ERR_PROFILE_NOT_FOUND",
    "DATALAKE_ERR_IO",
    "DATALAKE_ERR_TOOL_NOT_FOUND",
    "DATALAKE_ERR_CONNECT",
    "DATALAKE_ERR_AUTHENTICATION",
    "DATALAKE_ERR_HOST_KEY",
    "DATALAKE_ERR_SYNC",
    "DATALAKE_ERR_LOCKED",
    "DATALAKE_ERR_INTERRUPTED",
    "DATALAKE_ERR_PANIC",
    "DATALAKE_ERR_DATA",
    "DATALAKE_ERR_TABLE",
};
#define STATUS_COUNT ((int)(sizeof STATUS_NAMES / sizeof STATUS_NAMES[0]))

/* "DATALAKE_ERR_CONFIG" for DATALAKE_ERR_CONFIG; "?" outside the enum. */
static inline const char *status_name(datalake_status s) {
  int i = (int)s;
  return i >= 0 && i < STATUS_COUNT ? STATUS_NAMES[i] : "?";
}

/* The status named `name`; exits on an unknown name (a typo in the test). */
static inline datalake_status status_from_name(const char *name) {
  for (int i = 0; i < STATUS_COUNT; i++) {
    if (strcmp(STATUS_NAMES[i], name) == 0) {
      return (datalake_status)i;
    }
  }
  fprintf(stderr, "unknown status name %s\n", name);
  exit(2);
}

/* The calling thread's last error message, malloc'ed (free it). */
static inline char *last_error(void) {
  size_t n = datalake_last_error_message(NULL, 0);
  char *buf = (char *)malloc(n + 1);
  CHECK(buf != NULL, "out of memory");
  size_t again = datalake_last_error_message(buf, n + 1);
  CHECK(again == n, "last error length changed between calls: %zu then %zu", n, again);
  CHECK(strlen(buf) == n, "last error is %zu bytes but strlen says %zu", n, strlen(buf));
  return buf;
}

/* Check `got == want`; on failure print both names and the last error message. */
#define CHECK_STATUS(got, want, what)                                                    \
  do {                                                                                    \
    datalake_status got_ = (got), want_ = (want);                                         \
    if (got_ != want_) {                                                                  \
      char *msg_ = last_error();                                                          \
      fprintf(stderr, "%s:%d: %s returned %s (%d), expected %s\n  last error: %s\n",      \
              __FILE__, __LINE__, what, status_name(got_), (int)got_, status_name(want_), \
              msg_);                                                                      \
      free(msg_);                                                                         \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

/* Check that the last error message contains `needle`. */
#define CHECK_MESSAGE(needle)                                                            \
  do {                                                                                    \
    char *msg_ = last_error();                                                            \
    int found_ = strstr(msg_, (needle)) != NULL;                                          \
    if (!found_) {                                                                        \
      fprintf(stderr, "%s:%d: last error does not mention \"%s\":\n  %s\n", __FILE__,     \
              __LINE__, (needle), msg_);                                                  \
      free(msg_);                                                                         \
      exit(1);                                                                            \
    }                                                                                     \
    free(msg_);                                                                           \
  } while (0)

/* Check that the JSON text contains `needle` (serde_json's compact form: "key":value). */
#define CHECK_JSON(json, needle)                                                         \
  CHECK((json) != NULL && strstr((json), (needle)) != NULL, "JSON lacks %s:\n  %s", (needle), \
        (json) ? (json) : "(null)")

#endif /* DATALAKE_TEST_CHECK_H */
