//! Checks between profiles, once each profile is built: no shared or nested
//! local directories, no shared checkpoint files, checkpoints kept out of
//! every local directory.

use std::path::{Path, PathBuf};

use super::ctx::Ctx;
use super::yaml::Pos;

/// Where a profile writes, for the checks between profiles.
pub(super) struct Placed {
    pub(super) name: String,
    /// `None` when local_subdir or root_dir was invalid (already reported).
    pub(super) local_dir: Option<(PathBuf, Pos, String)>,
    pub(super) checkpoint_file: Option<(PathBuf, Pos, String)>,
}

/// Checks between profiles: no shared or nested local directories, no shared
/// checkpoint files, and the checkpoint_dir kept out of every local directory
/// (an rsync --delete or a cleanup there would take checkpoints and locks along).
pub(super) fn cross_checks(ctx: &mut Ctx<'_>, placed: &[Placed], checkpoint_dir: &Path, cdir_pos: Pos) {
    for (j, b) in placed.iter().enumerate() {
        for a in &placed[..j] {
            if let (Some((da, pa, ka)), Some((db, pb, kb))) = (&a.local_dir, &b.local_dir) {
                if da == db {
                    ctx.error(
                        *pb,
                        kb,
                        format!(
                            "profiles {} and {} both write to {}; give each its own local_subdir",
                            a.name,
                            b.name,
                            db.display()
                        ),
                    );
                } else if db.starts_with(da) {
                    nested(ctx, (*pb, kb), (&b.name, db), (&a.name, da));
                } else if da.starts_with(db) {
                    nested(ctx, (*pa, ka), (&a.name, da), (&b.name, db));
                }
            }
            if let (Some((fa, _, _)), Some((fb, pb, kb))) = (&a.checkpoint_file, &b.checkpoint_file) {
                if fa == fb {
                    ctx.error(
                        *pb,
                        kb,
                        format!(
                            "profiles {} and {} share the checkpoint file {}; give each its own checkpoint_file (the default is {{checkpoint_dir}}/{{profile}}.json)",
                            a.name,
                            b.name,
                            fb.display()
                        ),
                    );
                }
            }
        }
    }
    for p in placed {
        let Some((dir, pos, key)) = &p.local_dir else { continue };
        if dir == checkpoint_dir {
            ctx.error(
                *pos,
                key,
                format!(
                    "the local directory of profile {} is the checkpoint_dir {}; choose another local_subdir or checkpoint_dir",
                    p.name,
                    dir.display()
                ),
            );
        } else if checkpoint_dir.starts_with(dir) {
            ctx.error(
                cdir_pos,
                "checkpoint_dir",
                format!(
                    "checkpoint_dir {} lies inside {}, the local directory of profile {}: an rsync --delete there would remove checkpoints and locks; move checkpoint_dir out of it",
                    checkpoint_dir.display(),
                    dir.display(),
                    p.name
                ),
            );
        }
        for q in placed {
            if let Some((file, fpos, fkey)) = &q.checkpoint_file {
                if file.starts_with(dir) {
                    ctx.error(
                        *fpos,
                        fkey,
                        format!(
                            "checkpoint file {} of profile {} lies inside {}, the local directory of profile {}; keep checkpoints outside synced directories",
                            file.display(),
                            q.name,
                            dir.display(),
                            p.name
                        ),
                    );
                }
            }
        }
    }
}

fn nested(ctx: &mut Ctx<'_>, at: (Pos, &String), inner: (&str, &Path), outer: (&str, &Path)) {
    ctx.error(
        at.0,
        at.1,
        format!(
            "the local directory {} of profile {} lies inside {}, the local directory of profile {}: syncs and cleanups of {} would touch {}'s files; choose local_subdirs that do not nest",
            inner.1.display(),
            inner.0,
            outer.1.display(),
            outer.0,
            outer.0,
            inner.0
        ),
    );
}
