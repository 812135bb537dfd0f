//! The bits of CSV that Exchange's log writer uses: fields are quoted only
//! when they must be (a comma, a quote or a line break inside), and quotes
//! inside a quoted field are doubled.

/// Whether a field has to be quoted.
pub fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Appends one field, quoted if needed.
pub fn push_field(out: &mut Vec<u8>, s: &str) {
    if needs_quotes(s) {
        push_quoted(out, s);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Appends one field, always quoted (the ECP Server log quotes EventData).
pub fn push_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Splits one line (without its line ending) into unescaped fields,
/// respecting quotes. Meant for tests of generated files: a plain
/// `split(',')` would miscount rows whose user agent holds `(KHTML, like
/// Gecko)`.
pub fn split_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        let mut out = Vec::new();
        for (i, f) in ["plain", "a,b", "say \"hi\"", ""].iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_field(&mut out, f);
        }
        let line = String::from_utf8(out).unwrap();
        assert_eq!(line, "plain,\"a,b\",\"say \"\"hi\"\"\",");
        assert_eq!(split_line(&line), vec!["plain", "a,b", "say \"hi\"", ""]);
    }
}
