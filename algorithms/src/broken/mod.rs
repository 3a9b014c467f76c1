//! Deliberately broken variants, for learners: each is a correct algorithm of this crate with
//! a one-line bug, stated in its documentation, and a test shows the checker catching it.
//!
//! Run one, read the checker's explanation, then diff it against the correct algorithm.

pub mod abd_fire_and_forget_repair;
pub mod abd_no_write_back;
pub mod broadcast_no_retry;
pub mod g_counter_sum_merge;
pub mod raft_local_reads;
pub mod unique_ids_volatile;

pub use abd_fire_and_forget_repair::AbdFireAndForgetRepair;
pub use abd_no_write_back::AbdNoWriteBack;
pub use broadcast_no_retry::BroadcastNoRetry;
pub use g_counter_sum_merge::GCounterSumMerge;
pub use raft_local_reads::RaftLocalReads;
pub use unique_ids_volatile::UniqueIdsVolatile;
