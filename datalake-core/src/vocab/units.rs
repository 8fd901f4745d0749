//! Sizes as people read them.

/// `1.50 GiB` style sizes: IEC binary units (1 KiB = 1024 B), so the number and
/// its unit agree (`17694720` bytes is `16.88 MiB`, never `16.88 MB`).
///
/// Whole bytes below 1 KiB (`512 B`), two decimals above (`1.50 GiB`); sizes
/// beyond 1024 PiB stay in PiB. The quants-infra adapter keeps that tool's own
/// `KB`/`MB` strings where its users see them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // f64 is exact enough for two decimals at any u64 size.
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.2} {}", UNITS[unit])
}
