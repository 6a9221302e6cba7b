'use strict';
// CPU profile of a process we cannot add node arguments to (Node-RED started by the test
// harness; `--cpu-prof` is refused in NODE_OPTIONS, `--require` is not):
//   NODE_OPTIONS="--require bench/lib/cpu-profile-preload.js" BENCH_CPU_PROF_DIR=<dir>
// Profiling starts on SIGWINCH (ignored by default, unlike SIGUSR2 which Node-RED takes as
// "restart" for nodemon; the runner sends it after the warm-up, so start-up and warm-up
// stay out of the profile) and the profile is written to <dir>/<pid>.cpuprofile when the
// process exits, in the format of `node --cpu-prof` (Chrome DevTools can open it).
const fs = require('fs');
const path = require('path');
const inspector = require('inspector');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let started = false;
  process.on('SIGWINCH', () => {
    if (started) return;
    started = true;
    session.post('Profiler.enable', () => {
      session.post('Profiler.setSamplingInterval', { interval: 1000 }, () => session.post('Profiler.start'));
    });
  });
  // The in-thread inspector session answers synchronously, so this works inside 'exit'.
  process.on('exit', () => {
    if (!started) return;
    session.post('Profiler.stop', (err, result) => {
      if (!err && result && result.profile) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      }
    });
  });
}
