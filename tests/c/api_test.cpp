// C++17 test program for libdatalake, driven by tests/c/test_c_api.py: the header
// used from C++ (extern "C", -Wpedantic), RAII ownership, std::thread.
//
//   api_test_cpp lifecycle CONFIG PROFILE          validate, test_connection, sync, stats,
//                                                  checkpoint, cleanup, unknown profile
//   api_test_cpp cancel    CONFIG PROFILE          datalake_cancel from a std::thread
//   api_test_cpp parallel  CONFIG PROFILE1 PROFILE2 two std::threads sync on one handle
//
// Every check failure prints where and why, and exits 1.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "check.h"

namespace {

struct LakeFree {
  void operator()(datalake_lake *lake) const { datalake_free(lake); }
};
struct StringFree {
  void operator()(char *s) const { datalake_string_free(s); }
};
using Lake = std::unique_ptr<datalake_lake, LakeFree>;
using Json = std::unique_ptr<char, StringFree>;

std::string last_error_string() {
  std::string msg(datalake_last_error_message(nullptr, 0), '\0');
  datalake_last_error_message(&msg[0], msg.size() + 1);  // C++11: the buffer has size()+1 bytes
  return msg;
}

Lake open_lake(const char *config) {
  datalake_lake *raw = nullptr;
  CHECK_STATUS(datalake_open(config, &raw), DATALAKE_OK, "datalake_open");
  return Lake(raw);
}

bool contains(const Json &json, const std::string &needle) {
  return json && std::string(json.get()).find(needle) != std::string::npos;
}

#define CHECK_HAS(json, needle) \
  CHECK(contains((json), (needle)), "JSON lacks %s:\n  %s", std::string(needle).c_str(), (json) ? (json).get() : "(null)")

int lifecycle(const char *config, const std::string &profile) {
  char *raw = nullptr;
  CHECK_STATUS(datalake_validate(config, &raw), DATALAKE_OK, "datalake_validate");
  Json validation(raw);
  CHECK_HAS(validation, "\"ok\":true");

  Lake lake = open_lake(config);
  raw = nullptr;
  CHECK_STATUS(datalake_test_connection(lake.get(), profile.c_str(), &raw), DATALAKE_OK, "datalake_test_connection");
  Json connection(raw);
  CHECK_HAS(connection, "\"ok\":true");

  int calls = 0;
  datalake_sync_options opts = datalake_sync_options_default();
  opts.userdata = &calls;
  opts.progress = [](void *userdata, const datalake_progress *) { ++*static_cast<int *>(userdata); };
  raw = nullptr;
  CHECK_STATUS(datalake_sync(lake.get(), profile.c_str(), &opts, &raw), DATALAKE_OK, "datalake_sync");
  Json report(raw);
  CHECK_HAS(report, "\"status\":\"success\"");
  CHECK_HAS(report, "\"profile\":\"" + profile + "\"");

  raw = nullptr;
  CHECK_STATUS(datalake_stats(lake.get(), profile.c_str(), &raw), DATALAKE_OK, "datalake_stats");
  Json stats(raw);
  CHECK_HAS(stats, "\"exists\":true");

  raw = nullptr;
  CHECK_STATUS(datalake_checkpoint(lake.get(), profile.c_str(), &raw), DATALAKE_OK, "datalake_checkpoint");
  Json checkpoint(raw);
  CHECK_HAS(checkpoint, "\"last_sync_status\":\"success\"");

  raw = nullptr;
  CHECK_STATUS(datalake_cleanup(lake.get(), profile.c_str(), true, &raw), DATALAKE_OK, "datalake_cleanup");
  Json cleanup(raw);
  CHECK_HAS(cleanup, "\"dry_run\":true");

  // An error path from C++: status, message with a suggestion, nothing handed out.
  raw = nullptr;
  std::string typo = profile + "x";
  CHECK_STATUS(datalake_stats(lake.get(), typo.c_str(), &raw), DATALAKE_ERR_PROFILE_NOT_FOUND, "datalake_stats(typo)");
  CHECK(raw == nullptr, "datalake_stats wrote its out-parameter on failure");
  std::string msg = last_error_string();
  CHECK(msg.find("did you mean " + profile) != std::string::npos, "no suggestion in: %s", msg.c_str());

  std::printf("lifecycle (C++): ok (%d progress callbacks)\n", calls);
  return 0;
}

struct Watch {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool done = false;
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> wrong_thread{false};
};

int cancel(const char *config, const std::string &profile) {
  Lake lake = open_lake(config);
  Watch watch;
  using clock = std::chrono::steady_clock;
  clock::time_point cancelled_at{};
  bool cancelled = false;

  std::thread canceller([&] {
    // Cancel once the sync is surely under way: at its first progress event or
    // after 2 s (the transfer takes ~40 s), whichever comes first.
    std::unique_lock<std::mutex> lock(watch.mu);
    watch.cv.wait_for(lock, std::chrono::seconds(2), [&] { return watch.started || watch.done; });
    if (watch.done) return;
    cancelled_at = clock::now();
    cancelled = true;
    lock.unlock();
    datalake_cancel(lake.get());
  });

  datalake_sync_options opts = datalake_sync_options_default();
  opts.userdata = &watch;
  opts.progress = [](void *userdata, const datalake_progress *) {
    auto *w = static_cast<Watch *>(userdata);
    if (std::this_thread::get_id() != w->caller) w->wrong_thread = true;
    std::lock_guard<std::mutex> lock(w->mu);
    w->started = true;
    w->cv.notify_all();
  };
  char *raw = nullptr;
  datalake_status st = datalake_sync(lake.get(), profile.c_str(), &opts, &raw);
  auto returned_at = clock::now();
  Json report(raw);
  {
    std::lock_guard<std::mutex> lock(watch.mu);
    watch.done = true;
    watch.cv.notify_all();
  }
  canceller.join();

  CHECK(cancelled, "the sync returned %s before it could be cancelled", status_name(st));
  CHECK_STATUS(st, DATALAKE_ERR_INTERRUPTED, "datalake_sync (cancelled)");
  double delay = std::chrono::duration<double>(returned_at - cancelled_at).count();
  CHECK(delay < 5.0, "datalake_sync returned %.2f s after datalake_cancel", delay);
  CHECK(!watch.wrong_thread, "a progress callback ran on another thread than the caller's");
  CHECK_HAS(report, "\"status\":\"interrupted\"");

  raw = nullptr;
  CHECK_STATUS(datalake_checkpoint(lake.get(), profile.c_str(), &raw), DATALAKE_OK, "datalake_checkpoint");
  Json checkpoint(raw);
  CHECK_HAS(checkpoint, "\"last_sync_status\":\"interrupted\"");
  std::printf("cancel (C++): ok (returned %.3f s after cancel)\n", delay);
  return 0;
}

int parallel(const char *config, const std::vector<std::string> &profiles) {
  Lake lake = open_lake(config);
  struct Result {
    datalake_status status = DATALAKE_ERR_PANIC;
    Json report;
    std::string message;
  };
  std::vector<Result> results(profiles.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < profiles.size(); i++) {
    threads.emplace_back([&, i] {
      char *raw = nullptr;
      results[i].status = datalake_sync(lake.get(), profiles[i].c_str(), nullptr, &raw);
      results[i].report.reset(raw);
      if (results[i].status != DATALAKE_OK) results[i].message = last_error_string();  // per-thread
    });
  }
  for (auto &t : threads) t.join();
  for (size_t i = 0; i < profiles.size(); i++) {
    CHECK(results[i].status == DATALAKE_OK, "parallel sync of %s: %s: %s", profiles[i].c_str(),
          status_name(results[i].status), results[i].message.c_str());
    CHECK_HAS(results[i].report, "\"profile\":\"" + profiles[i] + "\"");
  }
  std::printf("parallel (C++): ok\n");
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "lifecycle" && argc == 4) return lifecycle(argv[2], argv[3]);
  if (cmd == "cancel" && argc == 4) return cancel(argv[2], argv[3]);
  if (cmd == "parallel" && argc == 5) return parallel(argv[2], {argv[3], argv[4]});
  std::fprintf(stderr, "usage: see the comment at the top of tests/c/api_test.cpp\n");
  return 2;
}
