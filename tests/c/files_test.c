/*
 * C11 test program for datalake_files, driven by tests/python/test_read.py.
 *
 *   files_test CONFIG PROFILE [SELECTION_JSON]
 *       prints the catalog JSON of the selection on stdout (the test compares it with
 *       Python's and the CLI's), after checking the error paths: a bad selection, an
 *       unknown profile, NULL arguments (out-parameter untouched each time).
 *
 * Every check failure prints where and why, and exits 1. Exit 0 means all passed.
 */
#define _POSIX_C_SOURCE 200809L

#include "check.h"

static char UNTOUCHED_STORAGE;
#define UNTOUCHED (&UNTOUCHED_STORAGE)

int main(int argc, char **argv) {
  CHECK(argc == 3 || argc == 4, "usage: files_test CONFIG PROFILE [SELECTION_JSON]");
  const char *config = argv[1], *profile = argv[2], *selection = argc == 4 ? argv[3] : NULL;
  datalake_lake *lake = NULL;
  CHECK_STATUS(datalake_open(config, &lake), DATALAKE_OK, "datalake_open");

  char *untouched = UNTOUCHED;
  CHECK_STATUS(datalake_files(lake, profile, "{\"start\": \"2024-13-01\"}", &untouched),
               DATALAKE_ERR_INVALID_ARGUMENT, "bad date");
  CHECK(untouched == UNTOUCHED, "out-parameter written on failure");
  CHECK_STATUS(datalake_files(lake, profile, "{\"serie\": \"x\"}", &untouched), DATALAKE_ERR_INVALID_ARGUMENT,
               "unknown key");
  CHECK_STATUS(datalake_files(lake, "nope", NULL, &untouched), DATALAKE_ERR_PROFILE_NOT_FOUND, "unknown profile");
  CHECK_STATUS(datalake_files(NULL, profile, NULL, &untouched), DATALAKE_ERR_INVALID_ARGUMENT, "NULL lake");
  CHECK_STATUS(datalake_files(lake, profile, NULL, NULL), DATALAKE_ERR_INVALID_ARGUMENT, "NULL out");
  CHECK(untouched == UNTOUCHED, "out-parameter written on failure");

  char *json = NULL;
  CHECK_STATUS(datalake_files(lake, profile, selection, &json), DATALAKE_OK, "datalake_files");
  CHECK(json != NULL && strstr(json, "\"files\":[") != NULL, "no files array: %s", json ? json : "(null)");
  printf("%s\n", json);
  datalake_string_free(json);
  datalake_free(lake);
  return 0;
}
