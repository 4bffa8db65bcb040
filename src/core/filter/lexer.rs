//! Splits a filter expression into tokens, following the `fexpr` scanner
//! PocketBase uses: ASCII identifiers, `'`/`"` quoted text with a few
//! backslash escapes, plain decimal numbers, sign and join operators,
//! parentheses, `fn(` calls, `{:name}` placeholders and `//` line comments.

use super::FilterError;

/// A comparison operator, with its "any of" (`?`) variant flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SignOp {
    Eq,
    Neq,
    Like,
    NotLike,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A comparison operator as written, e.g. `?!=` is `{ op: Neq, any: true }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sign {
    pub op: SignOp,
    /// `?` prefix: at least one item of a multi-valued operand must match.
    pub any: bool,
}

impl Sign {
    /// Parses an operator literal (`=`, `?!~`, …).
    fn parse(literal: &str) -> Option<Self> {
        let (any, plain) = match literal.strip_prefix('?') {
            Some(rest) => (true, rest),
            None => (false, literal),
        };
        let op = match plain {
            "=" => SignOp::Eq,
            "!=" => SignOp::Neq,
            "~" => SignOp::Like,
            "!~" => SignOp::NotLike,
            "<" => SignOp::Lt,
            "<=" => SignOp::Lte,
            ">" => SignOp::Gt,
            ">=" => SignOp::Gte,
            _ => return None,
        };
        Some(Sign { op, any })
    }
}

/// One scanned token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Identifier(String),
    /// A function name directly followed by `(` (the `(` is consumed).
    Function(String),
    Text(String),
    Number(f64),
    /// `{:name}`.
    Placeholder(String),
    Sign(Sign),
    And,
    Or,
    OpenParen,
    CloseParen,
    Comma,
}

/// Scans the whole expression.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut scanner = Scanner { chars: input.char_indices().peekable(), input };
    let mut tokens = Vec::new();
    while let Some(token) = scanner.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    input: &'a str,
}

/// fexpr only treats these three as whitespace (a `\r` is an error).
fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

fn is_identifier_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | '@' | '#')
}

fn is_identifier_char(c: char) -> bool {
    is_identifier_start(c) || c.is_ascii_digit() || matches!(c, '.' | ':')
}

fn is_sign_char(c: char) -> bool {
    matches!(c, '=' | '?' | '!' | '>' | '<' | '~')
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// fexpr's identifier shape: an optional `@`, `#` or `_`, then word
/// characters, dots and colons, ending with a word character.
fn is_valid_identifier(literal: &str) -> bool {
    let body = literal.strip_prefix(['@', '#', '_']).unwrap_or(literal);
    body.chars().last().is_some_and(is_word_char) && body.chars().all(|c| is_word_char(c) || c == '.' || c == ':')
}

/// fexpr's number shape: an optional `-`, digits and dots, parseable as a
/// float and not ending with a dot.
fn parse_number(literal: &str) -> Option<f64> {
    if literal.ends_with('.') {
        return None;
    }
    literal.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Resolves the escapes PocketBase understands inside quoted text; any
/// other backslash sequence is kept as written (`'\x41'` stays `\x41`).
fn unescape_char(c: char) -> Option<char> {
    match c {
        '\\' => Some('\\'),
        '\'' => Some('\''),
        '"' => Some('"'),
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        _ => None,
    }
}

impl<'a> Scanner<'a> {
    fn next_token(&mut self) -> Result<Option<Token>, FilterError> {
        self.skip_whitespace_and_comments()?;
        let Some(&(start, c)) = self.chars.peek() else {
            return Ok(None);
        };
        let token = match c {
            '(' => self.single(Token::OpenParen),
            ')' => self.single(Token::CloseParen),
            ',' => self.single(Token::Comma),
            '\'' | '"' => self.text()?,
            '{' => self.placeholder()?,
            '&' | '|' => self.join()?,
            c if is_identifier_start(c) => self.identifier(start)?,
            c if c == '-' || c.is_ascii_digit() => self.number(start)?,
            c if is_sign_char(c) => self.sign(start)?,
            '\0' => {
                return Err(FilterError::new("unexpected NUL character in the expression"));
            }
            other => return Err(FilterError(format!("unexpected character {other:?}"))),
        };
        Ok(Some(token))
    }

    fn skip_whitespace_and_comments(&mut self) -> Result<(), FilterError> {
        while let Some(&(_, c)) = self.chars.peek() {
            if is_whitespace(c) {
                self.chars.next();
            } else if c == '/' {
                self.chars.next();
                if self.chars.next_if(|&(_, c)| c == '/').is_none() {
                    return Err(FilterError::new("unexpected character '/'"));
                }
                while self.chars.next_if(|&(_, c)| c != '\n').is_some() {}
            } else {
                break;
            }
        }
        Ok(())
    }

    fn single(&mut self, token: Token) -> Token {
        self.chars.next();
        token
    }

    /// Consumes characters while `pred` holds; returns the input read since `start`.
    fn take_while(&mut self, start: usize, pred: impl Fn(char) -> bool) -> &'a str {
        let mut end = start;
        while let Some((i, c)) = self.chars.next_if(|&(_, c)| pred(c)) {
            end = i + c.len_utf8();
        }
        let input = self.input;
        &input[start..end]
    }

    fn identifier(&mut self, start: usize) -> Result<Token, FilterError> {
        let literal = self.take_while(start, is_identifier_char).to_string();
        if !is_valid_identifier(&literal) {
            return Err(FilterError(format!("invalid identifier {literal:?}")));
        }
        if self.chars.next_if(|&(_, c)| c == '(').is_some() {
            return Ok(Token::Function(literal));
        }
        Ok(Token::Identifier(literal))
    }

    fn number(&mut self, start: usize) -> Result<Token, FilterError> {
        // the first character may be the sign
        self.chars.next();
        let digits = self.take_while(start + 1, |c| c.is_ascii_digit() || c == '.');
        let input = self.input;
        let literal = &input[start..start + 1 + digits.len()];
        parse_number(literal).map(Token::Number).ok_or_else(|| FilterError(format!("invalid number {literal:?}")))
    }

    fn sign(&mut self, start: usize) -> Result<Token, FilterError> {
        let literal = self.take_while(start, is_sign_char);
        Sign::parse(literal).map(Token::Sign).ok_or_else(|| FilterError(format!("invalid sign operator {literal:?}")))
    }

    fn join(&mut self) -> Result<Token, FilterError> {
        let mut literal = String::new();
        while let Some((_, c)) = self.chars.next_if(|&(_, c)| c == '&' || c == '|') {
            literal.push(c);
        }
        match literal.as_str() {
            "&&" => Ok(Token::And),
            "||" => Ok(Token::Or),
            _ => Err(FilterError(format!("invalid join operator {literal:?}"))),
        }
    }

    fn text(&mut self) -> Result<Token, FilterError> {
        let Some((_, quote)) = self.chars.next() else {
            return Err(FilterError::new("expected quoted text"));
        };
        let mut value = String::new();
        loop {
            match self.chars.next() {
                // fexpr uses NUL as its end-of-input marker, so text never spans it
                None | Some((_, '\0')) => {
                    return Err(FilterError(format!("invalid quoted text {quote}{value}")));
                }
                Some((_, c)) if c == quote => return Ok(Token::Text(value)),
                Some((_, '\\')) => self.escape(&mut value),
                Some((_, c)) => value.push(c),
            }
        }
    }

    /// Handles the character after a backslash inside quoted text.
    fn escape(&mut self, value: &mut String) {
        match self.chars.peek().and_then(|&(_, c)| unescape_char(c)) {
            Some(unescaped) => {
                self.chars.next();
                value.push(unescaped);
            }
            None => value.push('\\'),
        }
    }

    fn placeholder(&mut self) -> Result<Token, FilterError> {
        self.chars.next();
        if self.chars.next_if(|&(_, c)| c == ':').is_none() {
            return Err(FilterError::new("unexpected character '{'"));
        }
        let mut name = String::new();
        while let Some((_, c)) = self.chars.next_if(|&(_, c)| is_word_char(c)) {
            name.push(c);
        }
        if name.is_empty() || self.chars.next_if(|&(_, c)| c == '}').is_none() {
            return Err(FilterError(format!("invalid placeholder {{:{name}")));
        }
        Ok(Token::Placeholder(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(input: &str) -> Vec<Token> {
        tokenize(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    fn ident(s: &str) -> Token {
        Token::Identifier(s.into())
    }

    fn text(s: &str) -> Token {
        Token::Text(s.into())
    }

    fn sign(op: SignOp, any: bool) -> Token {
        Token::Sign(Sign { op, any })
    }

    #[test]
    fn scans_a_comparison_chain() {
        assert_eq!(
            scan("a.b:each ?!= 'x' && (c>=-1.5||d~\"y\")"),
            vec![
                ident("a.b:each"),
                sign(SignOp::Neq, true),
                text("x"),
                Token::And,
                Token::OpenParen,
                ident("c"),
                sign(SignOp::Gte, false),
                Token::Number(-1.5),
                Token::Or,
                ident("d"),
                sign(SignOp::Like, false),
                text("y"),
                Token::CloseParen,
            ]
        );
    }

    #[test]
    fn scans_every_operator() {
        let cases = [
            ("=", SignOp::Eq),
            ("!=", SignOp::Neq),
            ("~", SignOp::Like),
            ("!~", SignOp::NotLike),
            ("<", SignOp::Lt),
            ("<=", SignOp::Lte),
            (">", SignOp::Gt),
            (">=", SignOp::Gte),
        ];
        for (literal, op) in cases {
            assert_eq!(scan(&format!("a {literal} 1"))[1], sign(op, false), "{literal}");
            assert_eq!(scan(&format!("a ?{literal} 1"))[1], sign(op, true), "?{literal}");
        }
    }

    // verified against PocketBase 0.40.6: \\ \' \" \n \t \r are escapes,
    // any other backslash sequence is kept verbatim
    #[test]
    fn unescapes_like_pocketbase() {
        let cases = [
            (r"'it\'s'", "it's"),
            (r#""say \"hi\"""#, r#"say "hi""#),
            (r#"'\"'"#, "\""),
            (r#""\'""#, "'"),
            (r"'a\\b'", r"a\b"),
            (r"'a\b'", r"a\b"),
            (r"'\x41\u00e9\%'", r"\x41\u00e9\%"),
            (r"'l1\nl2\tt\r'", "l1\nl2\tt\r"),
            ("'ünï😀'", "ünï😀"),
        ];
        for (input, expected) in cases {
            assert_eq!(scan(input), vec![text(expected)], "{input}");
        }
    }

    #[test]
    fn scans_functions_placeholders_and_comments() {
        assert_eq!(
            scan("geoDistance(a, 1) < {:max} // trailing\n&& x = 1 //"),
            vec![
                Token::Function("geoDistance".into()),
                ident("a"),
                Token::Comma,
                Token::Number(1.0),
                Token::CloseParen,
                sign(SignOp::Lt, false),
                Token::Placeholder("max".into()),
                Token::And,
                ident("x"),
                sign(SignOp::Eq, false),
                Token::Number(1.0),
            ]
        );
    }

    // verified against PocketBase 0.40.6 (all rejected with 400)
    #[test]
    fn rejects_malformed_tokens() {
        let bad = [
            "a = 'open",
            "a = 1.",
            "a = .5",
            "a = +1",
            "a = 1.2.3",
            "a == 1",
            "a =! 1",
            "a = 1 & b = 2",
            "a = 1 &&& b = 2",
            "a. = 1",
            "@@a = 1",
            "a = 1\r",
            "a = 'x\0y'",
            "a = 1 / 2",
            "é = 1",
            "a = {:}",
            "a = {name}",
            "a = {:name",
        ];
        for input in bad {
            assert!(tokenize(input).is_err(), "{input:?} should fail");
        }
    }
}
