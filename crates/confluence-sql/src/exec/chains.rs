//! A full scan over every space is read by `MaxConcurrency` workers (the scan's partitions) from one pool of cursor
//! chains, each chain a list over a group of spaces. A worker takes the next chain when it finishes one, so short
//! chains do not leave workers idle while a long one runs; and once no chain is left to start, an idle worker reads
//! the longest running chain from its other end (`sort=-id` where the list is read by `sort=id`), the two ends
//! meeting in the middle. A big space, one cursor page after another, no longer sets the time of the whole scan.
//!
//! The two ends of a chain never return a row twice nor miss one: under one lock, the ascending end keeps the ids
//! below the lowest id the descending end has kept, the descending end those above the highest the ascending end
//! has kept, and an end stops as soon as it sees an id the other has passed (or once the other has read the list to
//! its end). A server that does not list by id as asked fails the scan rather than answer short.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::directory::SpaceIndex;
use crate::spec::IdSorts;

/// How many chains a scan's spaces are grouped into, per worker: enough that workers rarely wait on one, few
/// enough that small spaces share requests (each chain costs at least one request).
const CHAINS_PER_WORKER: usize = 4;

/// Which end of a chain a worker reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// From the lowest id up (the only end when the list cannot be sorted by id).
    Ascending,
    /// From the highest id down.
    Descending,
}

/// What a worker reads next: one end of one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The chain's index in the run.
    pub chain: usize,
    /// Its space ids, comma-separated (one parameter value).
    pub spaces: String,
    /// The end.
    pub end: End,
}

/// What a page of one end of a chain contributes.
#[derive(Debug, PartialEq, Eq)]
pub struct Admitted {
    /// For each item, whether it is this end's to return.
    pub keep: Vec<bool>,
    /// Whether this end is done (it met the other end, or the other read the whole list).
    pub stop: bool,
}

/// The shared state of one execution of a scan's space-share partitions; see the module documentation.
#[derive(Debug, Default)]
pub struct ShareRun {
    state: Mutex<RunState>,
    /// Wakes the workers waiting for a chain to read from its other end.
    changed: tokio::sync::Notify,
}

/// What a worker does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Reads this end of a chain.
    Read(Assignment),
    /// Waits for a chain to have more to read ([`ShareRun::changed`]), then asks again.
    Wait,
    /// Stops: every chain is read, or has a reader at each end.
    Done,
}

#[derive(Debug, Default)]
struct RunState {
    /// `None` until the first worker has read the space directory.
    chains: Option<Vec<Chain>>,
    queue: VecDeque<usize>,
}

#[derive(Debug)]
struct Chain {
    spaces: String,
    /// Pages the ascending end has read (the longest running chain is read from its other end first).
    pages: u64,
    ascending: EndState,
    descending: EndState,
    descending_started: bool,
}

/// What one end of a chain has done.
#[derive(Debug, Default)]
struct EndState {
    /// The furthest id it has kept (the highest going up, the lowest going down).
    kept: Option<u64>,
    /// The last id it has seen (to check the server's order).
    seen: Option<u64>,
    done: bool,
}

impl Chain {
    /// The end read by `end`, and the other.
    fn ends(&mut self, end: End) -> (&mut EndState, &mut EndState) {
        match end {
            End::Ascending => (&mut self.ascending, &mut self.descending),
            End::Descending => (&mut self.descending, &mut self.ascending),
        }
    }
}

impl End {
    /// Whether `a` comes before `b` in this end's order.
    fn before(self, a: u64, b: u64) -> bool {
        match self {
            End::Ascending => a < b,
            End::Descending => a > b,
        }
    }
}

impl ShareRun {
    /// The next end for a worker to read, or whether to wait for one or stop. The chains (space ids each) are made
    /// by `chains` for the first worker to ask. `sorts` is `None` when the list cannot be read from both ends;
    /// `eager` reads a chain from its other end before its first page is in (the spaces a query names: each is
    /// worth two readers).
    pub fn next(&self, chains: impl Fn() -> Vec<Vec<i64>>, sorts: Option<IdSorts>, eager: bool) -> Next {
        match self.assign(chains, sorts, eager) {
            Some(assignment) => Next::Read(assignment),
            None if sorts.is_some() && self.may_split() => Next::Wait,
            None => Next::Done,
        }
    }

    /// [`ShareRun::next`], waiting while it says to: the next end to read, or `None` when the worker is done.
    pub async fn next_end(
        &self,
        chains: impl Fn() -> Vec<Vec<i64>>,
        sorts: Option<IdSorts>,
        eager: bool,
    ) -> Option<Assignment> {
        loop {
            // Listening before looking, so that a change between the two is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.next(&chains, sorts, eager) {
                Next::Read(assignment) => return Some(assignment),
                Next::Done => return None,
                Next::Wait => changed.await,
            }
        }
    }

    /// Whether a chain not yet read from both ends is still being read (it may yet be worth a second reader).
    fn may_split(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let chains = state.chains.as_deref().unwrap_or_default();
        chains.iter().any(|c| !c.ascending.done && !c.descending_started)
    }

    fn assign(
        &self,
        chains: impl FnOnce() -> Vec<Vec<i64>>,
        sorts: Option<IdSorts>,
        eager: bool,
    ) -> Option<Assignment> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.chains.is_none() {
            let chains: Vec<Chain> = chains()
                .into_iter()
                .map(|ids| Chain {
                    spaces: ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
                    pages: 0,
                    ascending: EndState::default(),
                    descending: EndState::default(),
                    descending_started: false,
                })
                .collect();
            state.queue = (0..chains.len()).collect();
            state.chains = Some(chains);
        }
        if let Some(chain) = state.queue.pop_front() {
            let spaces = state.chains.as_ref().map(|c| c[chain].spaces.clone()).unwrap_or_default();
            return Some(Assignment { chain, spaces, end: End::Ascending });
        }
        sorts?;
        let chains = state.chains.as_mut()?;
        // The longest running chain that has more to read (its first page said so) and only one reader.
        let (chain, entry) = chains
            .iter_mut()
            .enumerate()
            .filter(|(_, c)| (eager || c.pages >= 1) && !c.ascending.done && !c.descending_started)
            .max_by_key(|(i, c)| (c.pages, std::cmp::Reverse(*i)))?;
        entry.descending_started = true;
        Some(Assignment { chain, spaces: entry.spaces.clone(), end: End::Descending })
    }

    /// Takes a page of `ids` read by `end` of `chain` (in the order served): which items that end returns, and
    /// whether it stops. An error when the ids are not in the order asked for.
    pub fn admit(&self, chain: usize, end: End, ids: &[u64]) -> Result<Admitted, String> {
        let admitted = self.admit_page(chain, end, ids);
        self.changed.notify_waiters();
        admitted
    }

    fn admit_page(&self, chain: usize, end: End, ids: &[u64]) -> Result<Admitted, String> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(c) = state.chains.as_mut().and_then(|chains| chains.get_mut(chain)) else {
            return Err(format!("no chain {chain}"));
        };
        if end == End::Ascending {
            c.pages += 1;
        }
        let (mine, other) = c.ends(end);
        if other.done {
            // The other end met this one, or read the whole list: nothing is left for this end.
            return Ok(Admitted { keep: vec![false; ids.len()], stop: true });
        }
        let order = if end == End::Ascending { "ascending" } else { "descending" };
        let mut keep = Vec::with_capacity(ids.len());
        let mut stop = false;
        for &id in ids {
            if let Some(seen) = mine.seen.filter(|seen| !end.before(*seen, id)) {
                return Err(format!("ids were not in {order} order ({id} after {seen})"));
            }
            mine.seen = Some(id);
            // This end's while the other end has not kept it or anything beyond it.
            let kept = other.kept.is_none_or(|furthest| end.before(id, furthest));
            if kept {
                mine.kept = Some(id);
            } else {
                stop = true;
            }
            keep.push(kept);
        }
        mine.done |= stop;
        Ok(Admitted { keep, stop })
    }

    /// Records that `end` of `chain` read its list to the end: the other end, if any, stops at its next page.
    pub fn finished(&self, chain: usize, end: End) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = state.chains.as_mut().and_then(|chains| chains.get_mut(chain)) {
            c.ends(end).0.done = true;
        }
        drop(state);
        self.changed.notify_waiters();
    }
}

/// The named spaces that exist, one chain each (a space named twice is read once).
pub fn named(index: &SpaceIndex, keys: &[String]) -> Vec<Vec<i64>> {
    let mut ids: Vec<i64> = keys.iter().filter_map(|key| index.id_of(key)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter().map(|id| vec![id]).collect()
}

/// The spaces of `index` in groups, one chain each: global spaces before personal ones (keys starting with `~`,
/// mostly small), each by id; at most `CHAINS_PER_WORKER × workers` groups (or as many as it takes to keep each to
/// [`SPACES_PER_REQUEST`](crate::plan::space_share::SPACES_PER_REQUEST) spaces), dealt round-robin so that the big
/// old spaces (low ids) fall into different groups.
pub fn group(index: &SpaceIndex, workers: usize) -> Vec<Vec<i64>> {
    use crate::plan::space_share::SPACES_PER_REQUEST;
    let mut ids: Vec<(bool, i64)> = index.keys.iter().map(|(id, key)| (key.starts_with('~'), *id)).collect();
    ids.sort_unstable();
    let count = ids.len().min((CHAINS_PER_WORKER * workers.max(1)).max(ids.len().div_ceil(SPACES_PER_REQUEST)));
    let mut groups = vec![Vec::new(); count];
    for (i, (_, id)) in ids.into_iter().enumerate() {
        groups[i % count].push(id);
    }
    for group in &mut groups {
        group.sort_unstable();
    }
    groups
}

/// The runs of a scan's partitions that share work (a [`ShareRun`] of space chains, or the parents of a fan-out):
/// the k-th time a partition is executed, it joins the k-th run, so that a plan executed again starts over while
/// each execution's workers share one pool. A run is let go once every worker has joined it (they hold it while they
/// read), so a plan executed many times does not keep every run.
#[derive(Debug)]
pub struct SharePool<R = ShareRun> {
    runs: Mutex<PoolState<R>>,
}

#[derive(Debug)]
struct PoolState<R> {
    /// How many times each worker has joined.
    joins: Vec<usize>,
    /// The runs, `None` once every worker has joined it.
    runs: Vec<Option<Arc<R>>>,
}

impl<R> Default for SharePool<R> {
    fn default() -> Self {
        SharePool { runs: Mutex::new(PoolState { joins: Vec::new(), runs: Vec::new() }) }
    }
}

impl<R: Default> SharePool<R> {
    /// The run partition `worker` (of `workers`) joins now.
    pub fn join(&self, worker: usize, workers: usize) -> Arc<R> {
        let mut guard = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let state = &mut *guard;
        if state.joins.len() < workers.max(worker + 1) {
            state.joins.resize(workers.max(worker + 1), 0);
        }
        let k = state.joins[worker];
        state.joins[worker] += 1;
        while state.runs.len() <= k {
            state.runs.push(Some(Arc::new(R::default())));
        }
        let run = state.runs[k].get_or_insert_with(|| Arc::new(R::default())).clone();
        let passed = state.joins.iter().copied().min().unwrap_or(0);
        for done in state.runs.iter_mut().take(passed) {
            *done = None;
        }
        run
    }

    /// How many runs the pool still holds.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).runs.iter().flatten().count()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;

    const SORTS: Option<IdSorts> = Some(IdSorts::V2);

    fn index(keys: &[(i64, &str)]) -> SpaceIndex {
        SpaceIndex::from_keys(keys.iter().map(|(id, key)| (*id, key.to_string())).collect::<HashMap<_, _>>())
    }

    #[test]
    fn spaces_are_grouped_global_first_and_dealt_round_robin() {
        let one = index(&[(5, "A"), (1, "~me"), (3, "B")]);
        assert_eq!(group(&one, 8), vec![vec![3], vec![5], vec![1]], "few spaces: one chain each, global first");
        let many: Vec<(i64, String)> = (1..=100).map(|i| (i, format!("S{i}"))).collect();
        let many = SpaceIndex::from_keys(many.into_iter().collect());
        let groups = group(&many, 2);
        assert_eq!(groups.len(), 8);
        assert_eq!(groups[0][..3], [1, 9, 17]);
        let huge = SpaceIndex::from_keys((1..=1000).map(|i| (i, format!("S{i}"))).collect());
        assert!(group(&huge, 2).iter().all(|g| g.len() <= 100), "no chain over more spaces than a request takes");
    }

    /// Two ends over ids 1..=n, served `page` at a time, interleaved in every way the schedule allows: each id
    /// returned exactly once.
    #[test]
    fn two_ends_return_every_id_once() {
        for n in [1u64, 2, 5, 10, 11, 37] {
            for page in [1usize, 2, 3, 4] {
                // The descending end joins after `delay` ascending pages; the ends then alternate `a` and `b` pages.
                for delay in 1..4 {
                    for (a, b) in [(1, 1), (2, 1), (1, 2), (3, 1)] {
                        let run = ShareRun::default();
                        let idx = index(&[(1, "A")]);
                        let first = run.next(|| group(&idx, 2), SORTS, false).read();
                        assert_eq!(first.end, End::Ascending);
                        let ascending: Vec<u64> = (1..=n).collect();
                        let descending: Vec<u64> = (1..=n).rev().collect();
                        let mut pages_a = ascending.chunks(page);
                        let mut pages_d = descending.chunks(page);
                        let mut returned = Vec::new();
                        let (mut a_done, mut d_done, mut d_started) = (false, false, false);
                        let mut step = |end: End, done: &mut bool, pages: &mut std::slice::Chunks<u64>| {
                            if *done {
                                return;
                            }
                            match pages.next() {
                                None => {
                                    run.finished(0, end);
                                    *done = true;
                                }
                                Some(ids) => {
                                    let admitted = run.admit(0, end, ids).unwrap();
                                    returned
                                        .extend(ids.iter().zip(&admitted.keep).filter(|(_, k)| **k).map(|(i, _)| *i));
                                    *done = admitted.stop;
                                }
                            }
                        };
                        for _ in 0..delay {
                            step(End::Ascending, &mut a_done, &mut pages_a);
                        }
                        loop {
                            if !d_started && !a_done {
                                if let Next::Read(second) = run.next(|| group(&idx, 2), SORTS, false) {
                                    assert_eq!(second.end, End::Descending);
                                    d_started = true;
                                }
                            }
                            for _ in 0..a {
                                step(End::Ascending, &mut a_done, &mut pages_a);
                            }
                            if d_started {
                                for _ in 0..b {
                                    step(End::Descending, &mut d_done, &mut pages_d);
                                }
                            }
                            if a_done && (d_done || !d_started) {
                                break;
                            }
                        }
                        let set: BTreeSet<u64> = returned.iter().copied().collect();
                        assert_eq!(set.len(), returned.len(), "an id twice: n={n} page={page} {returned:?}");
                        assert_eq!(set, (1..=n).collect(), "an id missing: n={n} page={page} delay={delay}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_server_out_of_order_fails() {
        let run = ShareRun::default();
        run.next(|| vec![vec![1]], SORTS, false).read();
        run.admit(0, End::Ascending, &[1, 5]).unwrap();
        let error = run.admit(0, End::Ascending, &[4]).unwrap_err();
        assert!(error.contains("not in ascending order"), "{error}");
    }

    #[test]
    fn only_a_running_chain_with_more_to_read_is_read_from_its_other_end() {
        let run = ShareRun::default();
        let idx = index(&[(1, "A"), (2, "B")]);
        assert_eq!(run.next(|| group(&idx, 2), SORTS, false).read().chain, 0);
        assert_eq!(run.next(|| group(&idx, 2), SORTS, false).read().chain, 1);
        assert_eq!(run.next(|| group(&idx, 2), SORTS, false), Next::Wait, "no chain has read a page yet");
        assert_eq!(run.next(|| group(&idx, 2), None, false), Next::Done, "one end only without sorts");
        run.admit(1, End::Ascending, &[10]).unwrap();
        run.admit(1, End::Ascending, &[11]).unwrap();
        run.admit(0, End::Ascending, &[1]).unwrap();
        let other = run.next(|| group(&idx, 2), SORTS, false).read();
        assert_eq!((other.chain, other.end), (1, End::Descending), "the chain that has read the most");
        assert_eq!(run.next(|| group(&idx, 2), None, false), Next::Done, "without sorts, one end per chain");
        run.finished(0, End::Ascending);
        assert_eq!(run.next(|| group(&idx, 2), SORTS, false), Next::Done, "a finished chain is not read again");
    }

    #[test]
    fn a_named_space_is_read_from_both_ends_at_once() {
        let run = ShareRun::default();
        assert_eq!(run.next(|| vec![vec![7]], SORTS, true).read().end, End::Ascending);
        assert_eq!(run.next(|| vec![vec![7]], SORTS, true).read().end, End::Descending, "before any page is in");
        assert_eq!(run.next(|| vec![vec![7]], SORTS, true), Next::Done);
    }

    impl Next {
        fn read(self) -> Assignment {
            match self {
                Next::Read(assignment) => assignment,
                other => panic!("expected an assignment, got {other:?}"),
            }
        }
    }

    #[test]
    fn each_execution_of_a_plan_gets_its_own_run() {
        let pool: SharePool = SharePool::default();
        let (a, b) = (pool.join(0, 2), pool.join(1, 2));
        assert!(Arc::ptr_eq(&a, &b));
        let again = pool.join(0, 2);
        assert!(!Arc::ptr_eq(&a, &again));
        assert_eq!(pool.held(), 1, "the first run is let go once both have joined it (they hold it)");
        assert!(Arc::ptr_eq(&again, &pool.join(1, 2)));
        assert_eq!(pool.held(), 0);
        for _ in 0..100 {
            pool.join(0, 2);
            pool.join(1, 2);
        }
        assert_eq!(pool.held(), 0, "runs do not pile up");
        pool.join(0, 2);
        assert_eq!(pool.held(), 1, "a run some worker has yet to join is kept");
    }
}
