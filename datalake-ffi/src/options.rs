//! `datalake_sync_options` and the progress callback.

use std::ffi::{c_char, c_void, CString};
use std::ptr;

use datalake_core::{Progress, RunControl, SyncOptions};

/// A progress snapshot handed to a `datalake_progress_cb`.
///
/// Borrowed: the struct and its strings are valid only during the callback;
/// copy what you need to keep.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct datalake_progress {
    /// Bytes transferred so far in this run.
    pub bytes_done: u64,
    /// Total bytes to transfer; 0 while rsync has not told yet.
    pub bytes_total: u64,
    /// Current rate in bytes per second.
    pub rate: f64,
    /// Files completed so far.
    pub files_done: u64,
    /// The file being transferred, relative to the profile root; NULL when none.
    pub current_file: *const c_char,
    /// The profile being synced (useful with `datalake_sync_all`).
    pub profile: *const c_char,
}

/// Progress callback: `userdata` is `datalake_sync_options.userdata`,
/// `progress` is valid only during the call.
///
/// Called on the thread that called `datalake_sync` / `datalake_sync_all`, at
/// most about 10 times a second. It must return normally: no `longjmp` out of
/// it and no C++ exception through it (that aborts the process). To stop the
/// sync from inside it, call `datalake_cancel` on the handle.
#[allow(non_camel_case_types)]
pub type datalake_progress_cb = Option<unsafe extern "C" fn(userdata: *mut c_void, progress: *const datalake_progress)>;

/// Options of `datalake_sync` and `datalake_sync_all`.
///
/// Start from `datalake_sync_options_default()` and change what you need:
/// fields are only ever appended, so code written this way keeps compiling
/// and keeps its meaning.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct datalake_sync_options {
    /// Change nothing on disk: rsync `--dry-run`, retention as a dry run (its report is included), no checkpoint, no lock. Default false.
    pub dry_run: bool,
    /// Apply retention after a successful or partial sync. Default true.
    pub cleanup: bool,
    /// Profiles `datalake_sync_all` syncs at once (0 or 1: one at a time). Default 1.
    pub jobs: u32,
    /// Progress callback, or NULL for none. Default NULL.
    pub progress: datalake_progress_cb,
    /// Passed unchanged to `progress`. Default NULL.
    pub userdata: *mut c_void,
    /// Transfer the whole tree (expired partitions excluded) instead of the
    /// recent window: the CLI's `sync --full`. Default false.
    pub full: bool,
}

impl Default for datalake_sync_options {
    fn default() -> Self {
        datalake_sync_options {
            dry_run: false,
            cleanup: true,
            jobs: 1,
            progress: None,
            userdata: ptr::null_mut(),
            full: false,
        }
    }
}

/// The default sync options: `dry_run` false, `cleanup` true, `jobs` 1, no
/// progress callback, `userdata` NULL, `full` false.
#[no_mangle]
pub extern "C" fn datalake_sync_options_default() -> datalake_sync_options {
    datalake_sync_options::default()
}

/// Call the C callback with a borrowed view of `p`.
fn deliver(cb: unsafe extern "C" fn(*mut c_void, *const datalake_progress), userdata: *mut c_void, p: &Progress) {
    // Paths never contain NUL; should one appear, NULL is the honest answer.
    let file = p.current_file.as_deref().and_then(|f| CString::new(f).ok());
    let profile = CString::new(p.profile.as_str()).ok();
    let view = datalake_progress {
        bytes_done: p.bytes_done,
        bytes_total: p.bytes_total.unwrap_or(0),
        rate: p.rate,
        files_done: p.files_done,
        current_file: file.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
        profile: profile.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
    };
    // SAFETY: the caller registered `cb` for exactly this signature; `view`
    // and its strings outlive the call, as documented.
    unsafe { cb(userdata, &view) };
}

/// Run `f` with the core's run control forwarding progress to the C
/// callback `progress` (with `userdata`), if there is one. Cancellation is
/// the handle's (`datalake_cancel`), which the core adds to every run.
pub fn with_control<R>(
    progress: datalake_progress_cb,
    userdata: *mut c_void,
    f: impl FnOnce(RunControl<'_>) -> R,
) -> R {
    let mut forward = progress.map(|cb| move |p: &Progress| deliver(cb, userdata, p));
    f(RunControl { progress: forward.as_mut().map(|f| f as &mut dyn FnMut(&Progress)), ..RunControl::default() })
}

/// Run `f` with core sync options built from the C ones (`None`: the defaults).
pub fn with_core_options<R>(options: Option<&datalake_sync_options>, f: impl FnOnce(&mut SyncOptions<'_>) -> R) -> R {
    let opts = options.copied().unwrap_or_default();
    with_control(opts.progress, opts.userdata, |control| {
        f(&mut SyncOptions { dry_run: opts.dry_run, cleanup: opts.cleanup, full: opts.full, jobs: opts.jobs, control })
    })
}
