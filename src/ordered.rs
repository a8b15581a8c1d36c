//! Many inputs worked on in parallel, results handed over in input order as soon as each is
//! ready. The linter prints a file's findings and drops its report (which holds the file)
//! right away, so memory follows the files in flight, not the size of the whole run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// How many files to work on at once when `--threads` does not say: the cores this process
/// may run on (affinity and cgroup quota included).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A core kept awake until the workers start. On this project's virtual machine an idle core
/// is slow to wake: the second worker began 0.1 ms after it was spawned at the median but
/// 3.6 ms at the 90th percentile (80 corpus runs), 0.07 and 0.11 ms with a thread spinning on
/// that core until then (docs/performance.md, stop 21). Start it before the run's set-up
/// (settings, output) and drop it just before [`map_in_order`]: the spinning thread then
/// ends and leaves the core awake and idle for the worker. The spinning thread moves itself
/// off the caller's core if it was placed there.
pub struct AwakeCore {
    done: Arc<AtomicBool>,
}

impl AwakeCore {
    /// The longest a thread spins, if the guard is not dropped sooner: the set-up it covers
    /// takes well under a millisecond.
    const LIMIT: Duration = Duration::from_millis(2);

    /// Run `warm_up` on another core, then spin there until the guard is dropped, for at
    /// most `LIMIT` (2 ms) after the warm-up. `warm_up` is for what each worker would
    /// otherwise wait for on its first item (a table built once): the core is busy anyway.
    pub fn start(warm_up: impl FnOnce() + Send + 'static) -> AwakeCore {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let caller = current_cpu();
        // Detached: nothing waits for it, and a failure to start costs only the wait.
        let _ = std::thread::Builder::new()
            .name("awake".into())
            .spawn(move || {
                move_off(caller);
                warm_up();
                spin(&flag, Self::LIMIT);
            });
        // A thread started on this core runs now and moves, not when this one next blocks.
        std::thread::yield_now();
        AwakeCore { done }
    }
}

/// The core the calling thread runs on, where the system says.
fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    return nix::sched::sched_getcpu().ok();
    #[cfg(not(target_os = "linux"))]
    return None;
}

/// Called first in a thread started from a thread on core `starter`: if the system placed
/// the new thread on that same core, move it to another core this process may use, then
/// allow it every core again. Returns whether it moved.
///
/// Linux often queues a new thread behind its starter while the other core idles: in 60
/// corpus runs the spinning thread of [`AwakeCore`] shared the caller's core in most of
/// them and ran only once the caller gave way (up to 4 ms later), or at once, taking the
/// caller's core for its whole 2 ms; a worker so placed started 3.7 ms late
/// (docs/performance.md, stop 22). Setting the affinity moves the thread at once.
fn move_off(starter: Option<usize>) -> bool {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
        use nix::unistd::Pid;
        let this_thread = Pid::from_raw(0);
        let Some(here) = starter.filter(|&core| current_cpu() == Some(core)) else {
            return false;
        };
        let Ok(allowed) = sched_getaffinity(this_thread) else {
            return false;
        };
        let mut elsewhere = allowed;
        let others = elsewhere.unset(here).is_ok()
            && (0..CpuSet::count()).any(|core| elsewhere.is_set(core).unwrap_or(false));
        if !others || sched_setaffinity(this_thread, &elsewhere).is_err() {
            return false;
        }
        // Every core again: the system may still balance the thread later.
        let _ = sched_setaffinity(this_thread, &allowed);
        true
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = starter;
        false
    }
}

/// Busy-wait until `done` is set or `limit` has passed.
fn spin(done: &AtomicBool, limit: Duration) {
    let until = Instant::now() + limit;
    while !done.load(Ordering::Relaxed) && Instant::now() < until {
        std::hint::spin_loop();
    }
}

impl Drop for AwakeCore {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Apply `work` to every item on up to `threads` threads and show each result to `sink` in
/// the order of `items`. Workers take items in order (a shared counter, not a work-stealing
/// pool's halving splits), so a result waits only for the few items started before it. The
/// calling thread is one of the workers: it hands over what is ready between its own items,
/// so `threads` counts it and only `threads - 1` threads (and allocator heaps, whose fresh
/// pages cost as much as the work on small files) are started. The first error of `sink`
/// stops the workers and is returned.
///
/// Each result is dropped on the thread that made it: a worker's results come back to it
/// once the sink has seen them. Freed on the calling thread, a report's file buffer went
/// back to the worker's allocator heap only when that heap next looked at blocks of the same
/// size, and the worker took fresh pages meanwhile: 17 fresh 2 MiB pages per `-j2` run of
/// 680 files against 4 with `-j1` (docs/performance.md, stop 21).
pub fn map_in_order<T, R, E>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(&mut R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        // One worker: no thread to start, no channel to pass through.
        return items.iter().try_for_each(|item| sink(&mut work(item)));
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<Made<R>>();
        let mut spent = Vec::with_capacity(threads - 1);
        let caller = current_cpu();
        for _ in 1..threads {
            let sender = sender.clone();
            let (spent_sender, spent_receiver) = mpsc::channel::<R>();
            spent.push(spent_sender);
            let worker = spent.len();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                move_off(caller);
                while !stop.load(Ordering::Relaxed) {
                    // Results the sink has seen, freed here, where they were allocated.
                    spent_receiver.try_iter().for_each(drop);
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let made = Made {
                        index,
                        worker,
                        result: work(item),
                    };
                    if sender.send(made).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // A worker started on this core runs now and moves (see `AwakeCore::start`).
        std::thread::yield_now();
        let mut ready = InOrder {
            waiting: BTreeMap::new(),
            due: 0,
            spent,
        };
        let result = (|| {
            loop {
                for made in receiver.try_iter() {
                    ready.put(made, &mut sink)?;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else {
                    break;
                };
                let made = Made {
                    index,
                    worker: CALLER,
                    result: work(item),
                };
                ready.put(made, &mut sink)?;
            }
            // Everything is started: the rest comes from the other workers.
            for made in receiver {
                ready.put(made, &mut sink)?;
            }
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        result
    })
}

/// The calling thread's number in [`Made::worker`]; the started workers count from 1.
const CALLER: usize = 0;

/// A result, the item it is for, and the worker that made it.
struct Made<R> {
    index: usize,
    worker: usize,
    result: R,
}

/// Results that finished early, held until those before them are handed over.
struct InOrder<R> {
    waiting: BTreeMap<usize, Made<R>>,
    due: usize,
    /// Where each started worker takes back its spent results (worker `n` at `n - 1`).
    spent: Vec<mpsc::Sender<R>>,
}

impl<R> InOrder<R> {
    /// Take a result and pass on every result now due, in order; then give each back to the
    /// worker that made it (or drop it here if that was the caller, or the worker is gone).
    fn put<E>(
        &mut self,
        made: Made<R>,
        sink: &mut impl FnMut(&mut R) -> Result<(), E>,
    ) -> Result<(), E> {
        self.waiting.insert(made.index, made);
        while let Some(mut made) = self.waiting.remove(&self.due) {
            self.due += 1;
            sink(&mut made.result)?;
            if let Some(owner) = made.worker.checked_sub(1).and_then(|n| self.spent.get(n)) {
                // A worker that has finished has dropped its receiver: the result comes
                // back in the error and is dropped here.
                let _ = owner.send(made.result);
            }
        }
        Ok(())
    }
}

/// [`map_in_order`] into a vector.
pub fn collect_in_order<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut results = Vec::with_capacity(items.len());
    // Each result is kept, so none goes back to its worker: the sink takes them all.
    let done: Result<(), std::convert::Infallible> = map_in_order(
        items,
        threads,
        |item| Some(work(item)),
        |slot| {
            results.extend(slot.take());
            Ok(())
        },
    );
    match done {
        Ok(()) => results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spin_ends_when_told_or_at_its_limit() {
        let start = Instant::now();
        spin(&AtomicBool::new(true), Duration::from_secs(60));
        assert!(start.elapsed() < Duration::from_secs(1));
        let start = Instant::now();
        spin(&AtomicBool::new(false), Duration::from_millis(20));
        let spun = start.elapsed();
        assert!(
            spun >= Duration::from_millis(20) && spun < Duration::from_secs(10),
            "{spun:?}"
        );
        // The guard's drop is what tells the thread to stop.
        let awake = AwakeCore::start(|| {});
        let done = Arc::clone(&awake.done);
        drop(awake);
        assert!(done.load(Ordering::Relaxed));
    }

    /// A thread on its starter's core leaves it when another core is allowed, and may use
    /// every core again afterwards; on another core, or with no core known, it stays.
    #[test]
    fn a_thread_moves_off_its_starters_core() {
        assert!(!move_off(None));
        if current_cpu().is_none() {
            return; // not Linux: nothing to move
        }
        assert!(!move_off(Some(usize::MAX)));
        #[cfg(target_os = "linux")]
        {
            use nix::sched::{CpuSet, sched_getaffinity};
            use nix::unistd::Pid;
            let allowed = sched_getaffinity(Pid::from_raw(0)).expect("affinity");
            let cores = (0..CpuSet::count())
                .filter(|&core| allowed.is_set(core).unwrap_or(false))
                .count();
            // The test thread may be moved by the system between the two calls: ask again.
            let moved = (0..100).any(|_| current_cpu().is_some_and(|now| move_off(Some(now))));
            assert_eq!(moved, cores > 1, "{cores} cores allowed");
            assert_eq!(
                sched_getaffinity(Pid::from_raw(0)).expect("affinity"),
                allowed
            );
        }
    }

    #[test]
    fn the_awake_core_runs_its_warm_up() {
        let (sender, receiver) = mpsc::channel();
        let awake = AwakeCore::start(move || {
            let _ = sender.send(std::thread::current().name().map(str::to_owned));
        });
        let ran_on = receiver.recv_timeout(Duration::from_secs(60));
        drop(awake);
        assert_eq!(ran_on, Ok(Some("awake".to_owned())));
    }

    #[test]
    fn results_come_in_input_order_whatever_the_timing() {
        let items: Vec<u64> = (0..200).collect();
        for threads in [1, 2, 7] {
            let mut seen = Vec::new();
            let result: Result<(), ()> = map_in_order(
                &items,
                threads,
                |&n| {
                    // Later items finish first.
                    std::thread::sleep(std::time::Duration::from_micros((200 - n) * 5));
                    n * 2
                },
                |r| {
                    seen.push(*r);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(seen, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_sink_error_stops_the_run() {
        let items: Vec<u32> = (0..10_000).collect();
        let done = AtomicUsize::new(0);
        let result = map_in_order(
            &items,
            2,
            |&n| {
                done.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(20));
                n
            },
            |&mut n| if n == 3 { Err(n) } else { Ok(()) },
        );
        assert_eq!(result, Err(3));
        assert!(done.load(Ordering::Relaxed) < items.len());
    }

    #[test]
    fn seen_results_go_back_to_the_worker_that_made_them() {
        let (to_worker, worker) = mpsc::channel();
        let mut ready = InOrder {
            waiting: BTreeMap::new(),
            due: 0,
            spent: vec![to_worker],
        };
        let seen = std::cell::RefCell::new(Vec::new());
        let mut sink = |r: &mut u32| -> Result<(), ()> {
            seen.borrow_mut().push(*r);
            Ok(())
        };
        for (index, worker) in [(1, 1), (0, CALLER), (2, 1), (3, CALLER)] {
            let made = Made {
                index,
                worker,
                result: index as u32 * 10,
            };
            assert_eq!(ready.put(made, &mut sink), Ok(()));
        }
        assert_eq!(*seen.borrow(), [0, 10, 20, 30]);
        // The worker's two come back to it, in order; the caller's own stay with the caller.
        assert_eq!(worker.try_iter().collect::<Vec<_>>(), [10, 20]);
        // A worker that is gone: its result is dropped by the caller, not lost in a panic.
        drop(worker);
        let made = Made {
            index: 4,
            worker: 1,
            result: 40,
        };
        assert_eq!(ready.put(made, &mut sink), Ok(()));
        assert_eq!(seen.borrow().last(), Some(&40));
    }

    #[test]
    fn no_items_no_calls() {
        let result: Result<(), ()> = map_in_order(
            &[] as &[u8],
            4,
            |_| unreachable!(),
            |_: &mut ()| unreachable!(),
        );
        assert_eq!(result, Ok(()));
    }
}
