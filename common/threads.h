// Threads that never take a process-directed signal: a daemon waits for SIGTERM/SIGHUP on
// one thread (sigwait, signalfd); a helper thread with them unblocked would be killed by the
// default action instead, and the process with it.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace mugai {

// Starts `fn` on a new thread whose signal mask blocks every signal (set before it starts,
// so that no signal can arrive in between).
template <class F>
std::thread SignalFreeThread(F&& fn) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread t(std::forward<F>(fn));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

}  // namespace mugai
