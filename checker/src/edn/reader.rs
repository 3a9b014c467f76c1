//! A streaming reader of EDN syntax: it knows nothing about Jepsen.
//!
//! It reads from any [`Read`] (buffering itself) and hands out one form at a time: the top-level forms, or,
//! when a top-level form is a list or a vector, its elements one by one (a Jepsen history
//! is usually one vector of event maps, and it can be far larger than memory). Only what a
//! history needs is kept: numbers, keywords, symbols, strings (node names and ids of the
//! workloads beyond the register), `nil`, booleans and collections; characters, decimals
//! and sets are read and reduced to their kind. `#_` discards
//! the next form; a tag (`#inst`) is dropped and its value kept. Comments outside forms are
//! collected (the first few, truncated) for the caller to interpret.
//!
//! Every form is limited to [`MAX_FORM_BYTES`] bytes and [`MAX_DEPTH`] levels of nesting, so
//! no input can make the reader hold more than that at once or exhaust the stack, and error
//! messages quote at most [`MAX_EXCERPT`] characters of the input.

use std::io::Read;

/// The longest form (an event) accepted, in bytes.
pub(crate) const MAX_FORM_BYTES: usize = 1 << 20;
/// Most nesting accepted.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most characters of the input an error message quotes.
pub(crate) const MAX_EXCERPT: usize = 80;
/// Comments outside forms kept for the caller, and how much of each.
const MAX_COMMENTS: usize = 16;
const MAX_COMMENT_BYTES: usize = 256;

/// Why the text is not EDN this reader accepts. Lines count from 1.
#[derive(Debug)]
pub(crate) enum ReadError {
    Syntax { line: usize, expected: String, found: String },
    TooLong { line: usize, limit: usize },
    Io { line: usize, message: String },
    NotUtf8 { line: usize, offset: u64, what: &'static str },
}

/// One EDN value, reduced to what a history needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Edn {
    Nil,
    Bool(bool),
    Int(i128),
    Float,
    /// A string, its escapes (`\"`, `\\`, `\n`, `\t`, `\r`) undone.
    Str(Box<str>),
    Char,
    Keyword(Name),
    Symbol(Name),
    Vector(Vec<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Set,
}

/// A keyword's or symbol's name; Jepsen's own names without an allocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Name {
    Known(&'static str),
    Other(Box<str>),
}

/// Names that histories use all the time.
const KNOWN: [&str; 16] = [
    "process",
    "type",
    "f",
    "value",
    "time",
    "invoke",
    "ok",
    "fail",
    "info",
    "read",
    "write",
    "cas",
    "nemesis",
    "index",
    "error",
    "dgame/open",
];

impl Name {
    fn new(bytes: &[u8]) -> Self {
        match KNOWN.iter().find(|k| k.as_bytes() == bytes) {
            Some(k) => Name::Known(k),
            None => Name::Other(String::from_utf8_lossy(bytes).into()),
        }
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Name::Known(s) => s,
            Name::Other(s) => s,
        }
    }
}

/// A value and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) value: Edn,
}

/// At most [`MAX_EXCERPT`] characters of `s`, escaped, with "..." when cut.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == MAX_EXCERPT {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// A value in words, for error messages.
pub(crate) fn describe(value: &Edn) -> String {
    match value {
        Edn::Nil => "nil".into(),
        Edn::Bool(b) => b.to_string(),
        Edn::Int(i) => i.to_string(),
        Edn::Float => "a decimal number".into(),
        Edn::Str(s) => format!("the string \"{}\"", excerpt(s)),
        Edn::Char => "a character".into(),
        Edn::Keyword(k) => format!(":{}", excerpt(k)),
        Edn::Symbol(s) => format!("the symbol {}", excerpt(s)),
        Edn::Vector(v) => format!("a vector of {}", v.len()),
        Edn::List(v) => format!("a list of {}", v.len()),
        Edn::Map(_) => "a map".into(),
        Edn::Set => "a set".into(),
    }
}

fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';')
}

/// Where the reader is between forms.
enum Level {
    Top,
    /// Inside a top-level list or vector, whose elements are handed out one by one.
    Seq {
        close: u8,
        line: usize,
    },
}

/// The streaming reader.
pub(crate) struct Reader<R> {
    input: R,
    /// Bytes of the input before `buf`'s.
    base: u64,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    line: usize,
    /// Bytes read since the current form began.
    form_bytes: usize,
    level: Level,
    comments: Vec<String>,
    started: bool,
    scratch: Vec<u8>,
}

impl<R: Read> Reader<R> {
    pub(crate) fn new(input: R) -> Self {
        Reader {
            input,
            base: 0,
            buf: vec![0; 64 * 1024],
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            form_bytes: 0,
            level: Level::Top,
            comments: Vec::new(),
            started: false,
            scratch: Vec::new(),
        }
    }

    /// The comments read outside forms so far (the first few, each truncated).
    pub(crate) fn comments(&self) -> &[String] {
        &self.comments
    }

    fn refill(&mut self) -> Result<(), ReadError> {
        if self.pos < self.len || self.eof {
            return Ok(());
        }
        self.base += self.len as u64;
        self.len = 0;
        self.pos = 0;
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.pos = 0;
                    self.len = 0;
                    return Ok(());
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io { line: self.line, message: e.to_string() }),
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        if self.pos >= self.len {
            self.refill()?;
            if self.pos >= self.len {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Consumes the byte `peek` returned.
    #[inline]
    fn bump(&mut self) -> Result<(), ReadError> {
        if self.buf[self.pos] == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
        self.form_bytes += 1;
        if self.form_bytes > MAX_FORM_BYTES {
            return Err(ReadError::TooLong { line: self.line, limit: MAX_FORM_BYTES });
        }
        Ok(())
    }

    /// The offset of the next byte from the start of the input.
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Takes one UTF-8 sequence starting with `lead` (not ASCII, not yet consumed) into `out`,
    /// or says where the bytes are not UTF-8.
    fn utf8_char(&mut self, lead: u8, out: &mut Vec<u8>, what: &'static str) -> Result<(), ReadError> {
        let (line, offset) = (self.line, self.offset());
        let bad = ReadError::NotUtf8 { line, offset, what };
        let width = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return Err(bad),
        };
        let mut seq = [lead, 0, 0, 0];
        self.bump()?;
        for slot in seq.iter_mut().take(width).skip(1) {
            match self.peek()? {
                Some(b) if b & 0xC0 == 0x80 => {
                    *slot = b;
                    self.bump()?;
                }
                _ => return Err(bad),
            }
        }
        if std::str::from_utf8(&seq[..width]).is_err() {
            return Err(bad);
        }
        out.extend_from_slice(&seq[..width]);
        Ok(())
    }

    /// A token's bytes as text, or where they are not UTF-8 (`start`: the token's offset).
    fn utf8_token(&self, bytes: &[u8], start: u64) -> Result<(), ReadError> {
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) => Err(ReadError::NotUtf8 {
                line: self.line,
                offset: start + e.valid_up_to() as u64,
                what: "keyword, symbol or number",
            }),
        }
    }

    fn syntax(&self, expected: &str, found: String) -> ReadError {
        ReadError::Syntax { line: self.line, expected: expected.to_string(), found }
    }

    fn found_here(&mut self) -> Result<String, ReadError> {
        Ok(match self.peek()? {
            None => "the end of the input".into(),
            Some(b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(b) => format!("byte 0x{b:02x}"),
        })
    }

    /// Skips whitespace, commas and comments. Between forms (`outside`) the bytes skipped do
    /// not count against a form's length, and top-level comments are kept.
    fn skip_space(&mut self, outside: bool) -> Result<(), ReadError> {
        while let Some(b) = self.peek()? {
            if b == b' ' || b == b',' {
                // Runs of blanks in one go (no newline among them).
                let chunk = &self.buf[self.pos..self.len];
                let n = chunk.iter().position(|&c| c != b' ' && c != b',').unwrap_or(chunk.len());
                self.pos += n;
                self.form_bytes += n;
                if self.form_bytes > MAX_FORM_BYTES {
                    return Err(ReadError::TooLong { line: self.line, limit: MAX_FORM_BYTES });
                }
            } else if b.is_ascii_whitespace() {
                self.bump()?;
            } else if b == b';' {
                let mut text = Vec::new();
                while let Some(c) = self.peek()? {
                    if c == b'\n' {
                        break;
                    }
                    if text.len() < MAX_COMMENT_BYTES {
                        text.push(c);
                    }
                    self.bump()?;
                }
                if outside && matches!(self.level, Level::Top) && self.comments.len() < MAX_COMMENTS {
                    self.comments.push(String::from_utf8_lossy(&text).into_owned());
                }
            } else {
                break;
            }
            if outside {
                // Space between forms does not count against a form's length.
                self.form_bytes = 0;
            }
        }
        Ok(())
    }

    /// The bytes up to the next delimiter, in the reader's scratch buffer (give it back
    /// with `self.scratch = bytes` when done, to save an allocation per token).
    fn token(&mut self) -> Result<Vec<u8>, ReadError> {
        let start = self.offset();
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        loop {
            if self.pos >= self.len {
                self.refill()?;
                if self.pos >= self.len {
                    break;
                }
            }
            // A token never holds a newline (whitespace ends it), so whole runs can be
            // taken from the buffer at once.
            let chunk = &self.buf[self.pos..self.len];
            let n = chunk.iter().position(|&b| is_delim(b)).unwrap_or(chunk.len());
            if self.form_bytes + n > MAX_FORM_BYTES {
                return Err(ReadError::TooLong { line: self.line, limit: MAX_FORM_BYTES });
            }
            bytes.extend_from_slice(&chunk[..n]);
            self.pos += n;
            self.form_bytes += n;
            if self.pos < self.len {
                break;
            }
        }
        if !bytes.is_ascii() {
            self.utf8_token(&bytes, start)?;
        }
        Ok(bytes)
    }

    /// The next form for the caller: a top-level form, or an element of a top-level list
    /// or vector. `None` at the end of the input.
    pub(crate) fn next_form(&mut self) -> Result<Option<Node>, ReadError> {
        if !self.started {
            self.started = true;
            // A UTF-8 byte order mark is not EDN, but editors write one; skip it.
            if self.peek()? == Some(0xEF) {
                let bom = [0xEF, 0xBB, 0xBF];
                for &want in &bom {
                    if self.peek()? != Some(want) {
                        return Err(self.syntax("a value", "an incomplete UTF-8 byte order mark".into()));
                    }
                    self.pos += 1;
                }
            }
        }
        loop {
            match self.level {
                Level::Top => {
                    self.skip_space(true)?;
                    self.form_bytes = 0;
                    match self.peek()? {
                        None => return Ok(None),
                        Some(open @ (b'[' | b'(')) => {
                            let line = self.line;
                            self.bump()?;
                            self.level = Level::Seq { close: if open == b'[' { b']' } else { b')' }, line };
                        }
                        Some(_) => {
                            if let Some(node) = self.read(0)? {
                                return Ok(Some(node));
                            }
                        }
                    }
                }
                Level::Seq { close, line } => {
                    self.skip_space(true)?;
                    self.form_bytes = 0;
                    match self.peek()? {
                        None => {
                            let found = self.found_here()?;
                            return Err(self.syntax(
                                &format!("'{}' to close the collection opened on line {line}", close as char),
                                found,
                            ));
                        }
                        Some(b) if b == close => {
                            self.bump()?;
                            self.level = Level::Top;
                        }
                        Some(_) => {
                            if let Some(node) = self.read(1)? {
                                return Ok(Some(node));
                            }
                        }
                    }
                }
            }
        }
    }

    fn read_seq(&mut self, close: u8, depth: usize) -> Result<Vec<Node>, ReadError> {
        let mut items = Vec::new();
        loop {
            self.skip_space(false)?;
            match self.peek()? {
                None => {
                    let found = self.found_here()?;
                    return Err(self.syntax(&format!("'{}' to close the collection", close as char), found));
                }
                Some(b) if b == close => {
                    self.bump()?;
                    return Ok(items);
                }
                Some(_) => {
                    if let Some(node) = self.read(depth + 1)? {
                        items.push(node);
                    }
                }
            }
        }
    }

    /// Reads one form; `None` for a discarded (`#_`) one.
    fn read(&mut self, depth: usize) -> Result<Option<Node>, ReadError> {
        if depth > MAX_DEPTH {
            return Err(self.syntax(&format!("at most {MAX_DEPTH} levels of nesting"), "deeper nesting".into()));
        }
        self.skip_space(false)?;
        let line = self.line;
        let Some(b) = self.peek()? else {
            let found = self.found_here()?;
            return Err(self.syntax("a value", found));
        };
        let value = match b {
            b'[' => {
                self.bump()?;
                Edn::Vector(self.read_seq(b']', depth)?)
            }
            b'(' => {
                self.bump()?;
                Edn::List(self.read_seq(b')', depth)?)
            }
            b'{' => {
                self.bump()?;
                let items = self.read_seq(b'}', depth)?;
                if items.len() % 2 != 0 {
                    return Err(ReadError::Syntax {
                        line,
                        expected: "a map with an even number of forms (key value pairs)".into(),
                        found: format!("{} forms", items.len()),
                    });
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Edn::Map(pairs)
            }
            b')' | b']' | b'}' => {
                let found = self.found_here()?;
                return Err(self.syntax("a value", found));
            }
            b'"' => {
                self.bump()?;
                // The form's byte limit bounds the string too.
                let mut text = std::mem::take(&mut self.scratch);
                text.clear();
                loop {
                    match self.peek()? {
                        None => {
                            let found = self.found_here()?;
                            return Err(self.syntax("'\"' to close the string", found));
                        }
                        Some(b'"') => {
                            self.bump()?;
                            break;
                        }
                        Some(b'\\') => {
                            self.bump()?;
                            if let Some(c) = self.peek()?
                                && c >= 0x80
                            {
                                self.utf8_char(c, &mut text, "string")?;
                            } else if let Some(c) = self.peek()? {
                                text.push(match c {
                                    b'n' => b'\n',
                                    b't' => b'\t',
                                    b'r' => b'\r',
                                    other => other,
                                });
                                self.bump()?;
                            }
                        }
                        Some(c) if c >= 0x80 => self.utf8_char(c, &mut text, "string")?,
                        Some(c) => {
                            text.push(c);
                            self.bump()?;
                        }
                    }
                }
                // Every byte was checked on the way in.
                let value = Edn::Str(String::from_utf8_lossy(&text).into());
                self.scratch = text;
                value
            }
            b'\\' => {
                self.bump()?;
                // A character that is not ASCII is checked whole by the token below.
                if self.peek()?.is_some_and(|c| c < 0x80) {
                    self.bump()?;
                }
                self.scratch = self.token()?;
                Edn::Char
            }
            b'#' => {
                self.bump()?;
                match self.peek()? {
                    Some(b'{') => {
                        self.bump()?;
                        self.read_seq(b'}', depth)?;
                        Edn::Set
                    }
                    Some(b'_') => {
                        self.bump()?;
                        self.read(depth + 1)?;
                        return Ok(None);
                    }
                    _ => {
                        // A tagged element: keep the value, ignore the tag.
                        let tag = self.token()?;
                        let empty = tag.is_empty();
                        self.scratch = tag;
                        if empty {
                            let found = self.found_here()?;
                            return Err(self.syntax("a tag, a set or '_' after '#'", found));
                        }
                        return self.read(depth + 1);
                    }
                }
            }
            b':' => {
                self.bump()?;
                let name = self.token()?;
                if name.is_empty() {
                    let found = self.found_here()?;
                    return Err(self.syntax("a keyword name after ':'", found));
                }
                let keyword = Edn::Keyword(Name::new(&name));
                self.scratch = name;
                keyword
            }
            _ => {
                let bytes = self.token()?;
                if bytes.is_empty() {
                    let found = self.found_here()?;
                    return Err(self.syntax("a value", found));
                }
                // Plain digits, the common case, without going through text.
                if bytes.len() <= 18 && bytes.iter().all(u8::is_ascii_digit) {
                    let n = bytes.iter().fold(0i128, |n, &d| n * 10 + i128::from(d - b'0'));
                    self.scratch = bytes;
                    return Ok(Some(Node { line, value: Edn::Int(n) }));
                }
                let tok = String::from_utf8_lossy(&bytes);
                let value = match &*tok {
                    "nil" => Edn::Nil,
                    "true" => Edn::Bool(true),
                    "false" => Edn::Bool(false),
                    _ => {
                        let first = tok.as_bytes()[0];
                        let numeric = first.is_ascii_digit()
                            || ((first == b'-' || first == b'+')
                                && tok.len() > 1
                                && tok.as_bytes()[1].is_ascii_digit());
                        if numeric {
                            let digits = tok.trim_end_matches('N');
                            match digits.parse::<i128>() {
                                Ok(i) => Edn::Int(i),
                                Err(_) if tok.contains(['.', 'e', 'E', 'M']) => Edn::Float,
                                Err(_) => {
                                    return Err(ReadError::Syntax {
                                        line,
                                        expected: "a number".into(),
                                        found: format!("'{}'", excerpt(&tok)),
                                    });
                                }
                            }
                        } else {
                            Edn::Symbol(Name::new(&bytes))
                        }
                    }
                };
                drop(tok);
                self.scratch = bytes;
                value
            }
        };
        Ok(Some(Node { line, value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(text: &str) -> Vec<Edn> {
        let mut r = Reader::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(n) = r.next_form().expect("reads") {
            out.push(n.value);
        }
        out
    }

    #[test]
    fn a_top_level_vector_is_handed_out_element_by_element() {
        assert_eq!(forms("[1 2] 3 (4)"), vec![Edn::Int(1), Edn::Int(2), Edn::Int(3), Edn::Int(4)]);
        assert_eq!(forms("#_ 9 {:a nil}").len(), 1);
    }

    #[test]
    fn comments_outside_forms_are_kept() {
        let mut r = Reader::new("; hello\n1 ; there\n".as_bytes());
        while r.next_form().expect("reads").is_some() {}
        assert_eq!(r.comments(), ["; hello", "; there"]);
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        let long = "\0".repeat(1000);
        let e = excerpt(&long);
        assert!(e.len() < 4 * MAX_EXCERPT, "{}", e.len());
        assert!(e.starts_with("\\0\\0") && e.ends_with("..."), "{e}");
    }
}
