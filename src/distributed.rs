//! Data-parallel training across processes and machines over MPI (the `mpi` feature).
//!
//! A gradient here is a plain value of the parameters' own type (a derived record, a tuple, a
//! `Vec`, a map...), so data parallelism is one all-reduce of it: every rank computes the
//! gradient of its shard of the global batch, the gradients are summed across ranks, and every
//! rank applies the same optimizer step to the same parameters, which therefore stay
//! bit-identical everywhere. [`DataParallel`] does all of it in one call per step:
//!
//! ```
//! use backprop::distributed::{mpi, DataParallel};
//! use mpi::traits::*;
//! use backprop::nn::{Adam, Optimizer};
//! use backprop::prelude::*;
//!
//! #[derive(Backprop, Clone)]
//! struct Line { slope: f64, intercept: f64 }
//!
//! // Threads inside a rank call no MPI function: `Funneled` is the level needed.
//! let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled).unwrap();
//! let world = universe.world();
//! let mut line = Line { slope: 0.0, intercept: 0.0 };
//! // Rank 0's parameters are broadcast; the ranks check they agree on the structure.
//! let mut dp = DataParallel::new(&world, &mut line)?;
//! let batch: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64 / 1000.0, 2.0 * i as f64 / 1000.0 + 1.0)).collect();
//! let mut buffers = vec![line.zero_like(); 2]; // two threads in this rank
//! let mut opt = Adam::new(0.05);
//! for _ in 0..300 {
//!     // Each rank: the summed gradient of its shard, over its threads; then the all-reduce
//!     // (one MPI call) and the same Adam step everywhere, on the mean over the whole batch.
//!     let step = dp.step(&mut line, &batch, &mut buffers, &mut opt, |l, shard, g| {
//!         shard.iter().map(|&(x, y)| {
//!             value_and_grad_acc(|l| (l.slope * x + l.intercept - y).powi(2), l, g).unwrap()
//!         }).sum()
//!     })?;
//!     if world.rank() == 0 && dp.steps() % 100 == 0 {
//!         println!("loss {:.6}, {:?} computing, {:?} communicating", step.loss, step.compute, step.communicate);
//!     }
//! }
//! assert!((line.slope - 2.0).abs() < 0.05 && (line.intercept - 1.0).abs() < 0.05);
//! # Ok::<(), backprop::distributed::DistributedError>(())
//! ```
//!
//! Run it with `mpirun -np 4 ./target/release/examples/...`; on several machines, list them in
//! a hostfile (`node1 slots=2`, one line each) and run `mpirun --hostfile hosts -np 8 ...` from
//! a folder that every machine sees at the same path (or copy the binary to each). The
//! [`mpi`] crate (rsmpi, re-exported here) needs an MPI library (Open MPI or MPICH) and
//! libclang to build; on Debian, `apt install libopenmpi-dev openmpi-bin libclang-dev`.
//!
//! # What is exchanged, and checked
//!
//! - **One buffer, one call.** A gradient is flattened (through [`Scalars`]) into one buffer,
//!   with two more numbers: the shard's loss and a flag set by a rank whose gradient has
//!   another shape than its parameters. One `MPI_Allreduce` sums it. A bad gradient on one rank
//!   is then an error on *every* rank ([`DistributedError::GradientShape`]), never a deadlock of
//!   the others waiting in a collective the failing rank skipped.
//! - **Shards.** The global batch is split into contiguous shards whose sizes differ by at most
//!   one ([`shard_range`]), so a batch not divisible by the rank count is handled; the summed
//!   gradient is divided by the global batch size, so the step is the one a single process
//!   would take on the whole batch (equal up to the order of the sums).
//! - **Agreement.** [`DataParallel::new`] checks that every rank's parameters have the same
//!   structure (number of scalars and [`describe`](Scalars::describe) text) before
//!   broadcasting rank 0's values. Every [`check_every`](DataParallel::check_every) steps
//!   (100 in debug builds, never by default in release) and on demand
//!   ([`DataParallel::check_in_sync`]), a checksum of every rank's parameter bits is gathered:
//!   a rank whose parameters differ is a [`DistributedError::Diverged`] naming it, not a silent
//!   divergence.
//!
//! # How the step time scales
//!
//! Per step, each rank computes the gradient of `B / p` samples (`p` ranks, global batch `B`)
//! and all-reduces `n` scalars. A ring all-reduce (what MPI libraries use for large buffers)
//! moves `2 (p - 1) / p · n` scalars in and out of each rank, so its time tends to
//! `2 n s / bandwidth` (s bytes a scalar) plus `2 (p - 1)` latencies, nearly independent of `p`,
//! while the compute shrinks as `1 / p`:
//!
//! ```text
//! t(p) ≈ t_grad(B) / p + 2 (p - 1) α + 2 (p - 1) / p · n s / β
//! ```
//!
//! For the MNIST network of `examples/mnist_mpi.rs` (n = 266,610 f32 parameters, 1.07 MB a
//! gradient; global batch B = 100), measured on one 2-core machine: a step computes in
//! 1.2 ms with 2 threads (1 process), 0.6 ms for the 50 samples of one of 2 single-thread
//! processes, whose all-reduce of 1.07 MB through shared memory takes 0.3 ms (waiting for the
//! slower rank included). Across machines, with one 2-thread process on each, compute is
//! about `1.2 / p` ms and the all-reduce is set by the network. On paper, with typical link
//! figures (assumed, not measured here: no cluster was at hand):
//!
//! | network | all-reduce, p = 2 / 4 / 8 | step at B = 100, p = 1 / 2 / 4 / 8 | at B = 100 p (weak scaling) |
//! |---|---|---|---|
//! | 10 Gb/s Ethernet (β ≈ 1.2 GB/s, α ≈ 20 µs) | 0.9 / 1.5 / 1.8 ms | 1.2 / 1.5 / 1.8 / 2.0 ms: slower than one machine | 1.2 ms compute + 0.9-1.8 ms: 40-55% efficient |
//! | 100 Gb/s InfiniBand (β ≈ 12 GB/s, α ≈ 2 µs) | 0.09 / 0.15 / 0.18 ms | 1.2 / 0.69 / 0.45 / 0.33 ms: 1.7x / 2.7x / 3.6x | 87-93% efficient |
//!
//! So a network this small, at this batch, gains from more machines only on a fast
//! interconnect; on Ethernet, scale the global batch with the machine count (and the step
//! size with it) or train a larger model, whose compute grows faster than its parameter
//! count. The all-reduce time does not grow with `p` beyond the latency term, so the
//! communication share falls as the per-machine compute grows. The figures measured on this
//! machine, per epoch, are in the README.

use std::fmt;
use std::ops::Range;
use std::time::{Duration, Instant};

pub use mpi;
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::datatype::Equivalence;
use mpi::topology::Communicator;

use crate::gradient::flatten_into;
use crate::nn::checkpoint::{fnv1a_extend, structure, FNV1A_START};
use crate::nn::{parallel_grad, Optimizer};
use crate::{Backprop, Scalar, Scalars};

/// The part of a batch of `len` items that rank `rank` of `size` works on: contiguous, in rank
/// order, sizes differing by at most one (the first `len % size` ranks take one more).
///
/// ```
/// use backprop::distributed::shard_range;
/// let parts: Vec<_> = (0..3).map(|r| shard_range(10, 3, r)).collect();
/// assert_eq!(parts, vec![0..4, 4..7, 7..10]);
/// assert_eq!(shard_range(2, 3, 2), 2..2); // more ranks than items: some get none
/// ```
pub fn shard_range(len: usize, size: usize, rank: usize) -> Range<usize> {
    let size = size.max(1);
    let rank = rank.min(size - 1);
    let (base, extra) = (len / size, len % size);
    let start = rank * base + rank.min(extra);
    start..start + base + usize::from(rank < extra)
}

/// What went wrong in a collective step. Every rank of the communicator returns the same
/// variant (each learns of the others' problems through the collective), so they stop
/// together rather than leave some waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DistributedError {
    /// The ranks' values do not have the same structure (number of scalars, or the
    /// [`describe`](Scalars::describe) text: a map with other keys, a `Vec` of another length):
    /// nothing was exchanged.
    StructureDiffers {
        /// The ranks whose structure differs from rank 0's.
        ranks: Vec<usize>,
    },
    /// On this many ranks, the gradient had another shape than the parameters, or the
    /// parameters another number of scalars than when training started: the step was not
    /// taken anywhere.
    GradientShape {
        /// How many ranks had the problem.
        ranks: usize,
    },
    /// The parameters are not bit-identical on every rank (a rank updated them differently or
    /// started from others).
    Diverged {
        /// Steps taken when it was found.
        step: u64,
        /// The ranks whose parameters differ from rank 0's.
        ranks: Vec<usize>,
    },
    /// No gradient buffer was given to [`DataParallel::step`] (one per thread is needed).
    NoBuffers,
    /// The global batch was empty.
    EmptyBatch,
}

impl fmt::Display for DistributedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistributedError::StructureDiffers { ranks } => write!(
                f,
                "the values of ranks {ranks:?} have another structure than rank 0's \
                 (number of scalars, or keys and lengths): nothing was exchanged"
            ),
            DistributedError::GradientShape { ranks } => write!(
                f,
                "on {ranks} rank(s) the gradient had another shape than the parameters, or the \
                 parameters another size than at the start: the step was taken on no rank"
            ),
            DistributedError::Diverged { step, ranks } => write!(
                f,
                "after {step} steps the parameters of ranks {ranks:?} differ from rank 0's: \
                 every rank must start from the same parameters and apply the same steps"
            ),
            DistributedError::NoBuffers => {
                write!(f, "no gradient buffer: give one per thread of this rank")
            }
            DistributedError::EmptyBatch => write!(f, "the global batch is empty"),
        }
    }
}

impl std::error::Error for DistributedError {}

/// A checksum of a value's structure: its number of scalars and its description.
fn structure_sum<T, P: Scalars<T>>(p: &P) -> u64 {
    let h = fnv1a_extend(FNV1A_START, &(scalar_count(p) as u64).to_le_bytes());
    fnv1a_extend(h, structure(p).as_bytes())
}

/// A checksum of a value's scalars, bit for bit, and its structure.
fn value_sum<T: Scalar, P: Scalars<T>>(p: &P) -> u64 {
    let mut h = structure_sum(p);
    // f32 -> f64 is exact, so equal f64 bits mean equal scalars.
    p.for_each_slice(&mut |r| {
        for v in r {
            h = fnv1a_extend(h, &Scalar::to_f64(*v).to_bits().to_le_bytes());
        }
    });
    h
}

/// Gathers one word from every rank and returns the ranks whose word differs from rank 0's.
fn differing_from_root<C: Communicator>(comm: &C, word: u64) -> Vec<usize> {
    let mut all = vec![0u64; comm.size() as usize];
    comm.all_gather_into(&word, &mut all[..]);
    all.iter()
        .enumerate()
        .filter(|&(_, &w)| w != all[0])
        .map(|(r, _)| r)
        .collect()
}

/// Checks that every rank's value has the structure of rank 0's (collective).
fn check_structure<C: Communicator, T, P: Scalars<T>>(
    comm: &C,
    p: &P,
) -> Result<(), DistributedError> {
    let ranks = differing_from_root(comm, structure_sum(p));
    if ranks.is_empty() {
        Ok(())
    } else {
        Err(DistributedError::StructureDiffers { ranks })
    }
}

fn scalar_count<T, P: Scalars<T>>(p: &P) -> usize {
    let mut count = 0;
    p.for_each_slice(&mut |r| count += r.len());
    count
}

fn unflatten<T: Copy, P: Scalars<T>>(p: &mut P, from: &[T]) {
    let mut at = 0;
    p.for_each_slice_mut(&mut |r| {
        if let Some(src) = from.get(at..at + r.len()) {
            r.copy_from_slice(src);
        }
        at += r.len();
    });
}

/// Sums `g` across the ranks of `comm`, in place, on every rank (collective: every rank calls
/// it with a value of the same structure). One call checks the structures agree, one sums.
///
/// ```
/// use backprop::distributed::{all_reduce_sum, mpi};
/// use mpi::traits::*;
/// use backprop::prelude::*;
/// let universe = mpi::initialize().unwrap();
/// let world = universe.world();
/// let mut g = (world.rank() as f64, Vector::<f64, U2>::from([1.0, 2.0]));
/// all_reduce_sum(&world, &mut g)?;
/// // With 3 ranks: (0 + 1 + 2, [3, 6]) on every rank.
/// # Ok::<(), backprop::distributed::DistributedError>(())
/// ```
///
/// # Errors
/// [`DistributedError::StructureDiffers`] (on every rank) when the ranks' values have
/// different structures; nothing is summed.
pub fn all_reduce_sum<C, T, G>(comm: &C, g: &mut G) -> Result<(), DistributedError>
where
    C: Communicator,
    T: Scalar + Equivalence,
    G: Scalars<T>,
{
    check_structure(comm, g)?;
    let mut send = Vec::new();
    flatten_into(g, &mut send);
    let mut recv = vec![T::zero(); send.len()];
    comm.all_reduce_into(&send[..], &mut recv[..], SystemOperation::sum());
    unflatten(g, &recv);
    Ok(())
}

/// The mean of `g` across the ranks of `comm`, in place, on every rank: [`all_reduce_sum`]
/// divided by the number of ranks.
///
/// ```
/// use backprop::distributed::{all_reduce_mean, mpi};
/// use mpi::traits::*;
/// let universe = mpi::initialize().unwrap();
/// let world = universe.world();
/// let mut g = vec![world.rank() as f32; 3];
/// all_reduce_mean(&world, &mut g)?;
/// // With 2 ranks: [0.5, 0.5, 0.5] on both.
/// # Ok::<(), backprop::distributed::DistributedError>(())
/// ```
///
/// # Errors
/// As [`all_reduce_sum`].
pub fn all_reduce_mean<C, T, G>(comm: &C, g: &mut G) -> Result<(), DistributedError>
where
    C: Communicator,
    T: Scalar + Equivalence,
    G: Scalars<T>,
{
    all_reduce_sum(comm, g)?;
    let scale = T::one() / T::from_f64(f64::from(comm.size()));
    g.for_each_slice_mut(&mut |r| r.iter_mut().for_each(|v| *v *= scale));
    Ok(())
}

/// Overwrites `params` on every rank with rank 0's (collective), after checking that the
/// structures agree.
///
/// ```
/// use backprop::distributed::{broadcast, mpi};
/// use mpi::traits::*;
/// let universe = mpi::initialize().unwrap();
/// let world = universe.world();
/// let mut p = (world.rank() as f64, 1.0_f64);
/// broadcast(&world, &mut p)?;
/// assert_eq!(p, (0.0, 1.0)); // rank 0's, everywhere
/// # Ok::<(), backprop::distributed::DistributedError>(())
/// ```
///
/// # Errors
/// [`DistributedError::StructureDiffers`] (on every rank) when the structures differ; no
/// value is changed.
pub fn broadcast<C, T, P>(comm: &C, params: &mut P) -> Result<(), DistributedError>
where
    C: Communicator,
    T: Scalar + Equivalence,
    P: Scalars<T>,
{
    check_structure(comm, params)?;
    let mut buf = Vec::new();
    flatten_into(params, &mut buf);
    comm.process_at_rank(0).broadcast_into(&mut buf[..]);
    unflatten(params, &buf);
    Ok(())
}

/// Checks that `params` is bit-identical on every rank (collective): one gather of a checksum.
///
/// # Errors
/// [`DistributedError::Diverged`] (with `step` 0) on every rank, naming the ranks whose
/// parameters differ from rank 0's.
pub fn check_in_sync<C, T, P>(comm: &C, params: &P) -> Result<(), DistributedError>
where
    C: Communicator,
    T: Scalar,
    P: Scalars<T>,
{
    let ranks = differing_from_root(comm, value_sum(params));
    if ranks.is_empty() {
        Ok(())
    } else {
        Err(DistributedError::Diverged { step: 0, ranks })
    }
}

/// What one [`DataParallel::step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The mean loss over the whole global batch (every rank gets the same).
    pub loss: f64,
    /// Time spent computing this rank's shard gradient.
    pub compute: Duration,
    /// Time spent in MPI: the all-reduce (which includes waiting for slower ranks) and any
    /// checksum check.
    pub communicate: Duration,
}

/// Data-parallel training over the ranks of a communicator: keeps the exchange buffers (no
/// allocation per step once warm) and counts steps for the periodic agreement check. See the
/// [module docs](self).
pub struct DataParallel<'c, C: Communicator, T> {
    comm: &'c C,
    /// The number of scalars in the parameters, agreed by every rank in `new`: every exchange
    /// has this length (plus two), whatever a rank's values look like now.
    len: usize,
    send: Vec<T>,
    recv: Vec<T>,
    steps: u64,
    check_every: u64,
}

impl<'c, C: Communicator, T: Scalar + Equivalence> DataParallel<'c, C, T> {
    /// Starts data-parallel training of `params` (collective): checks that every rank's
    /// parameters have the same structure, then overwrites them with rank 0's.
    ///
    /// # Errors
    /// [`DistributedError::StructureDiffers`] on every rank when the structures differ.
    pub fn new<P: Scalars<T>>(comm: &'c C, params: &mut P) -> Result<Self, DistributedError> {
        broadcast(comm, params)?;
        Ok(DataParallel {
            comm,
            len: scalar_count(params),
            send: Vec::new(),
            recv: Vec::new(),
            steps: 0,
            check_every: if cfg!(debug_assertions) { 100 } else { 0 },
        })
    }

    /// Checks the parameters' agreement (a checksum of their bits) every `n` steps; 0 never.
    /// The default is 100 in debug builds and 0 in release builds; the check costs one gather
    /// of one word per rank and a pass over the parameters.
    pub fn check_every(mut self, n: u64) -> Self {
        self.check_every = n;
        self
    }

    /// This rank's number and the number of ranks.
    pub fn rank_and_size(&self) -> (usize, usize) {
        (self.comm.rank() as usize, self.comm.size() as usize)
    }

    /// This rank's shard of a global batch (see [`shard_range`]).
    pub fn shard<'s, S>(&self, batch: &'s [S]) -> &'s [S] {
        let (rank, size) = self.rank_and_size();
        &batch[shard_range(batch.len(), size, rank)]
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Checks now that `params` is bit-identical on every rank (collective).
    ///
    /// # Errors
    /// [`DistributedError::Diverged`] on every rank, naming the ranks that differ.
    pub fn check_in_sync<P: Scalars<T>>(&self, params: &P) -> Result<(), DistributedError> {
        check_in_sync(self.comm, params).map_err(|e| match e {
            DistributedError::Diverged { ranks, .. } => DistributedError::Diverged {
                step: self.steps,
                ranks,
            },
            other => other,
        })
    }

    /// One data-parallel step (collective): this rank's shard of `batch` goes to `f` through
    /// [`parallel_grad`] (one thread per buffer in `buffers`; `f` adds the gradient of the
    /// summed loss of its samples into its buffer and returns that summed loss); the shard
    /// gradients and losses are summed across ranks in one all-reduce; the sum is divided by
    /// the global batch size; and `opt` steps `params` with it, on every rank alike. After
    /// the step, `buffers[0]` holds that global mean gradient (the same on every rank).
    ///
    /// # Errors
    /// Every rank returns the same error, and no rank has stepped: [`NoBuffers`](DistributedError::NoBuffers),
    /// [`EmptyBatch`](DistributedError::EmptyBatch) (both found before any MPI call; give
    /// every rank the same batch length and a buffer), [`GradientShape`](DistributedError::GradientShape)
    /// when some rank's gradient had another shape than its parameters, and
    /// [`Diverged`](DistributedError::Diverged) from the periodic check.
    pub fn step<P, S, O, F>(
        &mut self,
        params: &mut P,
        batch: &[S],
        buffers: &mut [P],
        opt: &mut O,
        f: F,
    ) -> Result<Step, DistributedError>
    where
        P: Backprop + Scalars<T> + Sync + Send,
        S: Sync,
        O: Optimizer<P>,
        F: Fn(&P, &[S], &mut P) -> f64 + Sync,
    {
        if batch.is_empty() {
            return Err(DistributedError::EmptyBatch);
        }
        let start = Instant::now();
        let shard = self.shard(batch);
        let loss =
            parallel_grad(params, shard, buffers, f).map_err(|_| DistributedError::NoBuffers)?;
        let g = &mut buffers[0];
        let computed = Instant::now();

        // The gradient, then the shard's loss and this rank's shape flag: one buffer, of the
        // length every rank agreed on (zeros and the flag when this rank's shapes are off, so
        // that the collective still matches on every rank).
        let shape_ok = params.same_shape(g) && scalar_count(params) == self.len;
        self.send.clear();
        if shape_ok {
            flatten_into(g, &mut self.send);
        } else {
            self.send.resize(self.len, T::zero());
        }
        self.send.push(T::from_f64(loss));
        self.send.push(if shape_ok { T::zero() } else { T::one() });
        self.recv.clear();
        self.recv.resize(self.send.len(), T::zero());
        self.comm
            .all_reduce_into(&self.send[..], &mut self.recv[..], SystemOperation::sum());
        let mut communicate = computed.elapsed();

        let n = self.recv.len();
        let bad_ranks = Scalar::to_f64(self.recv[n - 1]);
        if bad_ranks != 0.0 {
            return Err(DistributedError::GradientShape {
                ranks: if bad_ranks.is_finite() {
                    bad_ranks as usize
                } else {
                    1
                },
            });
        }
        let scale = T::one() / T::from_f64(batch.len() as f64);
        for v in &mut self.recv[..n - 2] {
            *v *= scale;
        }
        unflatten(g, &self.recv[..n - 2]);
        let total_loss = Scalar::to_f64(self.recv[n - 2]);
        // The shapes agree (checked above on every rank), so the optimizer cannot refuse.
        opt.step(params, g)
            .map_err(|_| DistributedError::GradientShape { ranks: 1 })?;
        self.steps += 1;
        if self.check_every > 0 && self.steps.is_multiple_of(self.check_every) {
            let before = Instant::now();
            self.check_in_sync(params)?;
            communicate += before.elapsed();
        }
        Ok(Step {
            loss: total_loss / batch.len() as f64,
            compute: computed - start,
            communicate,
        })
    }
}
