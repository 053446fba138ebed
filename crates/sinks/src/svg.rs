//! Hand-built inline SVG charts for the HTML report (no scripts, no external files).

use crate::text::{format_bytes, html_escape};
use model::{Signal, Stage, Timestamp};
use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 74.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;
/// Bins of the interval histogram.
const HISTOGRAM_BINS: usize = 30;

/// One point of a volume series (`evidence.series` of volume signals).
#[derive(Clone, Debug, PartialEq)]
pub struct VolumePoint {
    /// Bucket start.
    pub t: Timestamp,
    /// Bytes out in the bucket.
    pub bytes: f64,
    /// Expected bytes (baseline).
    pub baseline: Option<f64>,
    /// Upper edge of the normal band.
    pub upper: Option<f64>,
}

/// Reads `evidence.series` (`[{"t", "bytes", "baseline", "upper"}]`) from a signal;
/// malformed points are skipped.
pub fn volume_series(signal: &Signal) -> Vec<VolumePoint> {
    let Some(points) = signal.evidence.get("series").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let mut out: Vec<VolumePoint> = points
        .iter()
        .filter_map(|p| {
            let t = match p.get("t")? {
                serde_json::Value::String(s) => Timestamp::parse(s)?,
                serde_json::Value::Number(n) => Timestamp::from_secs_f64(n.as_f64()?)?,
                _ => return None,
            };
            let bytes = p
                .get("bytes")?
                .as_f64()
                .filter(|b| b.is_finite() && *b >= 0.0)?;
            let num = |key: &str| {
                p.get(key)
                    .and_then(|v| v.as_f64())
                    .filter(|v| v.is_finite() && *v >= 0.0)
            };
            Some(VolumePoint {
                t,
                bytes,
                baseline: num("baseline"),
                upper: num("upper"),
            })
        })
        .collect();
    out.sort_by_key(|p| p.t);
    out.dedup_by_key(|p| p.t);
    out
}

/// Reads `evidence.intervals_s` (seconds between transfers) from a signal.
pub fn intervals(signal: &Signal) -> Vec<f64> {
    signal
        .evidence
        .get("intervals_s")
        .and_then(|v| v.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_f64())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .collect()
        })
        .unwrap_or_default()
}

/// A y axis: linear, or log10 when the values span more than three decades (a
/// baseline of kilobytes under a burst of gigabytes would otherwise be flat).
struct Scale {
    log: bool,
    min: f64,
    max: f64,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>) -> Self {
        let values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        let max = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
        let min_positive = values
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        if min_positive.is_finite() && max / min_positive > 1000.0 {
            Scale {
                log: true,
                min: min_positive.log10().floor(),
                max: max.log10().ceil(),
            }
        } else {
            Scale {
                log: false,
                min: 0.0,
                max: max * 1.1,
            }
        }
    }

    fn y(&self, value: f64) -> f64 {
        let plot = HEIGHT - TOP - BOTTOM;
        let fraction = if self.log {
            let v = value.max(10f64.powf(self.min)).log10();
            (v - self.min) / (self.max - self.min).max(1e-9)
        } else {
            value / self.max.max(1e-9)
        };
        HEIGHT - BOTTOM - fraction.clamp(0.0, 1.0) * plot
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (lo, hi) = (self.min as i32, self.max as i32);
            let step = ((hi - lo) / 5).max(1);
            (lo..=hi)
                .step_by(step as usize)
                .map(|e| 10f64.powi(e))
                .collect()
        } else {
            (0..=4).map(|i| self.max * f64::from(i) / 4.0).collect()
        }
    }
}

fn x_of(t: Timestamp, from: Timestamp, to: Timestamp) -> f64 {
    // In floating point: event times may sit at the ends of the i64 range.
    let span = (to.0 as f64 - from.0 as f64).max(1.0);
    LEFT + ((t.0 as f64 - from.0 as f64) / span).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
}

fn frame(out: &mut String, label: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{}" class="chart">"#,
        html_escape(label)
    );
    let _ = write!(
        out,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#8a94a6"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="#8a94a6"/>"##,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM
    );
}

fn time_label(t: Timestamp) -> String {
    t.to_datetime()
        .map(|d| d.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Outbound bytes per bucket against the baseline band: the band from baseline to
/// upper edge shaded, the baseline dashed, bytes as a line with dots, buckets above
/// the band in red.
pub fn volume_chart(points: &[VolumePoint]) -> String {
    let mut out = String::new();
    if points.is_empty() {
        return out;
    }
    let from = points[0].t;
    let to = points[points.len() - 1]
        .t
        .max(Timestamp(from.0.saturating_add(1)));
    let scale = Scale::new(
        points
            .iter()
            .flat_map(|p| [Some(p.bytes), p.baseline, p.upper])
            .flatten(),
    );
    frame(&mut out, "Outbound bytes against the baseline band");
    for tick in scale.ticks() {
        let y = scale.y(tick);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e6e9ef"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#4a5468">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            format_bytes(tick as u64)
        );
    }
    let banded: Vec<&VolumePoint> = points
        .iter()
        .filter(|p| p.baseline.is_some() && p.upper.is_some())
        .collect();
    if banded.len() >= 2 {
        let mut path = String::new();
        for p in &banded {
            let _ = write!(
                path,
                "{:.1},{:.1} ",
                x_of(p.t, from, to),
                scale.y(p.upper.unwrap_or(0.0))
            );
        }
        for p in banded.iter().rev() {
            let _ = write!(
                path,
                "{:.1},{:.1} ",
                x_of(p.t, from, to),
                scale.y(p.baseline.unwrap_or(0.0))
            );
        }
        let _ = write!(
            out,
            r##"<polygon points="{}" fill="#cfe3ff" stroke="none"><title>normal band (baseline to upper edge)</title></polygon>"##,
            path.trim()
        );
        let baseline: Vec<String> = banded
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    x_of(p.t, from, to),
                    scale.y(p.baseline.unwrap_or(0.0))
                )
            })
            .collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#3b6fd1" stroke-dasharray="5 4" stroke-width="1.5"/>"##,
            baseline.join(" ")
        );
    }
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x_of(p.t, from, to), scale.y(p.bytes)))
        .collect();
    let _ = write!(
        out,
        r##"<polyline points="{}" fill="none" stroke="#1f2937" stroke-width="2"/>"##,
        line.join(" ")
    );
    // Dense series: only the buckets above the band get a dot.
    let dense = points.len() > 60;
    for p in points {
        let above = p.upper.is_some_and(|u| p.bytes > u);
        if dense && !above {
            continue;
        }
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}"><title>{} {}</title></circle>"##,
            x_of(p.t, from, to),
            scale.y(p.bytes),
            if above { 4.5 } else { 3.0 },
            if above { "#d92d20" } else { "#1f2937" },
            p.t.to_rfc3339(),
            format_bytes(p.bytes as u64)
        );
    }
    for (t, anchor) in [
        (from, "start"),
        (Timestamp(from.0 / 2 + to.0 / 2), "middle"),
        (to, "end"),
    ] {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="{anchor}" fill="#4a5468">{}</text>"##,
            x_of(t, from, to),
            HEIGHT - BOTTOM + 16.0,
            time_label(t)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" font-size="11" fill="#4a5468">UTC{}; shaded: normal band, dashed: baseline, red: above the band</text></svg>"##,
        LEFT,
        HEIGHT - 6.0,
        if scale.log { ", log scale" } else { "" }
    );
    out
}

/// Seconds as a short duration: `45 s`, `10 min`, `2.0 h`, `1.0 d`.
pub fn duration_label(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.0} s")
    } else if secs < 7200.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 172_800.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.1} d", secs / 86_400.0)
    }
}

/// A histogram of the intervals between transfers: a tall narrow peak is a
/// scheduler; a wide spread is a person.
pub fn interval_histogram(values: &[f64]) -> String {
    let mut out = String::new();
    if values.is_empty() {
        return out;
    }
    // From zero to a quarter past the longest interval, in fixed bins: a scheduler's
    // jittered 597-603 s lands in one tall bar, a person's irregular gaps spread out.
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let bins = HISTOGRAM_BINS;
    let (lo, hi) = (0.0, (max * 1.25).max(1.0));
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in values {
        let i = (((v - lo) / width).floor() as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    frame(&mut out, "Intervals between transfers");
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bar_w = plot_w / bins as f64;
    let step = (top / 4.0).ceil().max(1.0);
    let top = (top / step).ceil() * step;
    let mut n = 0.0;
    while n <= top {
        let y = HEIGHT - BOTTOM - n / top * plot_h;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e6e9ef"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#4a5468">{n:.0}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        n += step;
    }
    let label = |v: f64| interval_label(v, hi - lo);
    for (i, count) in counts.iter().enumerate() {
        let h = *count as f64 / top * plot_h;
        let x = LEFT + i as f64 * bar_w;
        let from = lo + i as f64 * width;
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#3b6fd1"><title>{} to {}: {count}</title></rect>"##,
            x + 1.0,
            HEIGHT - BOTTOM - h,
            (bar_w - 2.0).max(1.0),
            label(from),
            label(from + width)
        );
    }
    let middle = LEFT + plot_w / 2.0;
    for (x, value, anchor) in [
        (LEFT, lo.max(0.0), "start"),
        (middle, (lo + hi) / 2.0, "middle"),
        (WIDTH - RIGHT, hi, "end"),
    ] {
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{}" font-size="11" text-anchor="{anchor}" fill="#4a5468">{}</text>"##,
            HEIGHT - BOTTOM + 16.0,
            label(value)
        );
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let _ = write!(
        out,
        r##"<text x="{LEFT}" y="{}" font-size="11" fill="#4a5468">{} intervals, median {}; bars: number of intervals per bin</text></svg>"##,
        HEIGHT - 6.0,
        values.len(),
        interval_label(median, hi - lo)
    );
    out
}

/// An interval for an axis spanning `span` seconds: whole seconds as well when the
/// span is short, else a rounded duration.
fn interval_label(secs: f64, span: f64) -> String {
    if span < 1200.0 && secs >= 120.0 {
        format!("{secs:.0} s ({})", duration_label(secs))
    } else {
        duration_label(secs)
    }
}

/// The incident's signals on one time axis, one lane per chain stage.
pub fn timeline(signals: &[&Signal]) -> String {
    let mut out = String::new();
    let (Some(first), Some(last)) = (
        signals.iter().map(|s| s.timestamp).min(),
        signals.iter().map(|s| s.timestamp).max(),
    ) else {
        return out;
    };
    let pad = ((last.0 as f64 - first.0 as f64) / 20.0).max(60e6) as i64;
    let (from, to) = (
        Timestamp(first.0.saturating_sub(pad)),
        Timestamp(last.0.saturating_add(pad)),
    );
    let height = 170.0;
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="Timeline" class="chart"><rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    let stages = [
        Stage::Collection,
        Stage::Staging,
        Stage::Automation,
        Stage::Exfiltration,
    ];
    for (i, stage) in stages.iter().enumerate() {
        let y = 20.0 + i as f64 * 30.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#e6e9ef"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#4a5468">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            stage.as_str()
        );
    }
    for signal in signals {
        let lane = stages.iter().position(|s| *s == signal.stage).unwrap_or(0);
        let colour = if signal.allowed.is_some() {
            "#12b76a"
        } else if signal.score >= 70 {
            "#d92d20"
        } else if signal.score >= 40 {
            "#f79009"
        } else {
            "#667085"
        };
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{}" r="6" fill="{colour}" fill-opacity="0.85"><title>{} {} [{}] score {}</title></circle>"##,
            x_of(signal.timestamp, from, to),
            20.0 + lane as f64 * 30.0,
            signal.timestamp.to_rfc3339(),
            html_escape(&signal.rule_name),
            html_escape(&signal.detector),
            signal.score
        );
    }
    for t in [first, last] {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#4a5468">{}</text>"##,
            x_of(t, from, to),
            height - 22.0,
            time_label(t)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{LEFT}" y="{}" font-size="11" fill="#4a5468">UTC; red: score 70+, orange: 40+, grey: lower, green: allow-listed</text></svg>"##,
        height - 6.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_and_survive_odd_input() {
        let signal = Signal {
            evidence: serde_json::json!({
                "series": [
                    {"t": "2026-11-24T02:00:00Z", "bytes": 5, "baseline": 4, "upper": 6},
                    {"t": "bad", "bytes": 5},
                    {"t": "2026-11-24T02:05:00Z", "bytes": 5e9, "baseline": 4, "upper": 6}
                ],
                "intervals_s": [600, 600, "x", -1, 600]
            })
            .as_object()
            .cloned()
            .unwrap(),
            ..Default::default()
        };
        let series = volume_series(&signal);
        assert_eq!(series.len(), 2);
        let chart = volume_chart(&series);
        assert!(chart.starts_with("<svg") && chart.ends_with("</svg>"));
        assert!(chart.contains("log scale"));
        let hist = interval_histogram(&intervals(&signal));
        assert!(
            hist.contains("3 intervals, median 600 s (10 min)"),
            "{hist}"
        );
        assert_eq!(volume_chart(&[]), "");
        assert_eq!(interval_histogram(&[]), "");
    }
}
