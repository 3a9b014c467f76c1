//! Where `dgame check` reads a history from. A regular file is opened again for each reading
//! (the streaming check explains a violation from a second reading, and falls back to reading
//! the file whole when streaming cannot decide); a pipe, a device, `/dev/stdin`, a process
//! substitution or `-` (standard input) cannot be read twice, so its bytes are kept as they
//! are read, up to [`MAX_PIPED_HISTORY_BYTES`], and every later reading replays them.

use std::cell::RefCell;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The most of a history read from a pipe or a device that is kept in memory (a regular file
/// is streamed and has no such limit).
pub const MAX_PIPED_HISTORY_BYTES: u64 = 1 << 30;

/// A history's input, readable as many times as the check needs.
pub struct HistorySource {
    path: PathBuf,
    name: String,
    /// `None`: a regular file, opened for each reading.
    kept: Option<Rc<RefCell<Kept>>>,
}

/// The bytes read so far from an input that can be read only once.
struct Kept {
    inner: Box<dyn Read>,
    bytes: Vec<u8>,
    limit: u64,
    ended: bool,
    too_big: bool,
}

impl Kept {
    fn too_big(&self) -> std::io::Error {
        std::io::Error::other(format!(
            "a history from a pipe or device is kept in memory to be read again, and this one is larger than the \
             limit of {}: write it to a file and check the file",
            super::memory::size(u128::from(self.limit))
        ))
    }
}

impl HistorySource {
    /// Opens `path` (`-`: standard input), at most [`MAX_PIPED_HISTORY_BYTES`] of it kept when
    /// it is not a regular file.
    pub fn open(path: &Path) -> Result<Self, String> {
        Self::open_with_limit(path, MAX_PIPED_HISTORY_BYTES)
    }

    fn open_with_limit(path: &Path, limit: u64) -> Result<Self, String> {
        let stdin = path.as_os_str() == "-";
        let name = if stdin { "standard input".to_owned() } else { path.display().to_string() };
        let inner: Box<dyn Read> = if stdin {
            Box::new(std::io::stdin())
        } else {
            let file = File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
            if file.metadata().is_ok_and(|m| m.is_file()) {
                return Ok(HistorySource { path: path.to_owned(), name, kept: None });
            }
            Box::new(file)
        };
        let kept = Kept { inner, bytes: Vec::new(), limit, ended: false, too_big: false };
        Ok(HistorySource { path: path.to_owned(), name, kept: Some(Rc::new(RefCell::new(kept))) })
    }

    /// The path, for what its name tells (`.edn`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name messages give it: the path, or `standard input`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A reading from the start.
    pub fn reader(&self) -> Result<Box<dyn Read>, String> {
        match &self.kept {
            None => match File::open(&self.path) {
                Ok(f) => Ok(Box::new(f)),
                Err(e) => Err(format!("cannot read {}: {e}", self.name)),
            },
            Some(kept) => Ok(Box::new(Replay { kept: kept.clone(), at: 0 })),
        }
    }
}

/// A reading of a kept input: the bytes kept, then more from the input (kept in turn).
struct Replay {
    kept: Rc<RefCell<Kept>>,
    at: usize,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut k = self.kept.borrow_mut();
        if self.at == k.bytes.len() && !k.ended && !buf.is_empty() {
            if k.too_big {
                return Err(k.too_big());
            }
            // One byte past the limit tells a file of exactly the limit from a larger one.
            let room = (k.limit + 1).saturating_sub(k.bytes.len() as u64);
            let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            let n = k.inner.read(&mut buf[..want])?;
            if n == 0 {
                k.ended = true;
                return Ok(0);
            }
            if (k.bytes.len() + n) as u64 > k.limit {
                k.too_big = true;
                return Err(k.too_big());
            }
            k.bytes.extend_from_slice(&buf[..n]);
            self.at += n;
            return Ok(n);
        }
        let rest = &k.bytes[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(source: &HistorySource) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        source.reader()?.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    /// A real pipe, written by a thread of its own (a pipe holds only so much), its writer
    /// closed once all of `text` is in it.
    fn pipe_with(text: &[u8]) -> std::io::PipeReader {
        use std::io::Write as _;
        let (reader, mut writer) = std::io::pipe().unwrap();
        let text = text.to_vec();
        std::thread::spawn(move || {
            // The reader may stop early (over the limit): what it read is what is tested.
            let _ = writer.write_all(&text);
        });
        reader
    }

    fn kept(inner: impl Read + 'static, limit: u64) -> HistorySource {
        let kept = Kept { inner: Box::new(inner), bytes: Vec::new(), limit, ended: false, too_big: false };
        HistorySource { path: "p".into(), name: "p".into(), kept: Some(Rc::new(RefCell::new(kept))) }
    }

    #[test]
    fn a_pipe_reads_the_same_every_time_even_after_a_reading_that_stopped_early() {
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let source = kept(pipe_with(&text), MAX_PIPED_HISTORY_BYTES);
        let mut head = [0u8; 10];
        source.reader().unwrap().read_exact(&mut head).unwrap();
        assert_eq!(head, text[..10]);
        assert_eq!(read_all(&source).unwrap(), text);
        assert_eq!(read_all(&source).unwrap(), text);
    }

    #[test]
    fn a_pipe_over_the_limit_is_an_error_naming_it_on_every_reading() {
        assert_eq!(read_all(&kept(pipe_with(b"12345678"), 8)).unwrap(), b"12345678");
        let source = kept(pipe_with(b"123456789"), 8);
        for _ in 0..2 {
            let e = read_all(&source).unwrap_err();
            assert!(e.contains("larger than the limit of 8 bytes: write it to a file"), "{e}");
        }
    }

    #[test]
    fn a_regular_file_is_read_again_from_the_file_and_a_device_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        std::fs::write(&path, "x\n").unwrap();
        let file = HistorySource::open(&path).unwrap();
        assert!(file.kept.is_none());
        std::fs::write(&path, "y\n").unwrap();
        assert_eq!(read_all(&file).unwrap(), b"y\n");
        assert!(HistorySource::open(Path::new("/dev/null")).unwrap().kept.is_some());
        assert_eq!(HistorySource::open(Path::new("-")).unwrap().name(), "standard input");
        let e = HistorySource::open(&dir.path().join("missing")).err().unwrap();
        assert!(e.starts_with("cannot read ") && e.ends_with("missing: No such file or directory (os error 2)"), "{e}");
    }
}
