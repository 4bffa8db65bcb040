//! Builds the expression tree from tokens. `&&` binds tighter than `||`,
//! which is what PocketBase's flat `a AND b OR c` SQL concatenation means.
//! Enforces the expression-count and nesting limits.

use std::iter::Peekable;
use std::vec::IntoIter;

use super::lexer::{Sign, Token};
use super::{FilterError, MAX_DEPTH, MAX_EXPRESSIONS};

/// One side of a comparison, as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Identifier(String),
    Text(String),
    Number(f64),
    Placeholder(String),
    /// `name(arg, …)`; arguments are never functions themselves.
    Function {
        name: String,
        args: Vec<Operand>,
    },
}

/// `left <sign> right`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Comparison {
    pub left: Operand,
    pub sign: Sign,
    pub right: Operand,
}

/// A boolean expression tree.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Comparison(Comparison),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// Parses a token list into one expression.
pub(super) fn parse(tokens: Vec<Token>) -> Result<Expr, FilterError> {
    if tokens.is_empty() {
        return Err(FilterError::new("empty filter expression"));
    }
    let mut parser = Parser { tokens: tokens.into_iter().peekable(), expressions: 0 };
    let expr = parser.or_chain(0)?;
    match parser.tokens.next() {
        None => Ok(expr),
        Some(token) => Err(FilterError(format!("expected && or ||, got {}", describe(&token)))),
    }
}

struct Parser {
    tokens: Peekable<IntoIter<Token>>,
    expressions: usize,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Identifier(s) | Token::Function(s) => format!("identifier {s:?}"),
        Token::Text(s) => format!("text {s:?}"),
        Token::Number(n) => format!("number {n}"),
        Token::Placeholder(s) => format!("placeholder {{:{s}}}"),
        Token::Sign(_) => "an operator".into(),
        Token::And => "&&".into(),
        Token::Or => "||".into(),
        Token::OpenParen => "(".into(),
        Token::CloseParen => ")".into(),
        Token::Comma => ",".into(),
    }
}

fn one_or_many(mut items: Vec<Expr>, many: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 { items.remove(0) } else { many(items) }
}

impl Parser {
    fn next(&mut self, expected: &str) -> Result<Token, FilterError> {
        self.tokens
            .next()
            .ok_or_else(|| FilterError(format!("invalid formatted filter expression: expected {expected}")))
    }

    fn or_chain(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut items = vec![self.and_chain(depth)?];
        while self.tokens.next_if_eq(&Token::Or).is_some() {
            items.push(self.and_chain(depth)?);
        }
        Ok(one_or_many(items, Expr::Or))
    }

    fn and_chain(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut items = vec![self.term(depth)?];
        while self.tokens.next_if_eq(&Token::And).is_some() {
            items.push(self.term(depth)?);
        }
        Ok(one_or_many(items, Expr::And))
    }

    fn term(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if self.tokens.next_if_eq(&Token::OpenParen).is_none() {
            return self.comparison();
        }
        if depth >= MAX_DEPTH {
            return Err(FilterError(format!("too deeply nested expression (max {MAX_DEPTH} levels)")));
        }
        let inner = self.or_chain(depth + 1)?;
        match self.next(")")? {
            Token::CloseParen => Ok(inner),
            other => Err(FilterError(format!("expected ), got {}", describe(&other)))),
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        self.expressions += 1;
        if self.expressions > MAX_EXPRESSIONS {
            return Err(FilterError(format!("too many expressions (max {MAX_EXPRESSIONS})")));
        }
        let left = self.operand("left operand")?;
        let sign = match self.next("an operator")? {
            Token::Sign(sign) => sign,
            other => {
                return Err(FilterError(format!("expected a sign operator, got {}", describe(&other))));
            }
        };
        let right = self.operand("right operand")?;
        Ok(Expr::Comparison(Comparison { left, sign, right }))
    }

    fn operand(&mut self, what: &str) -> Result<Operand, FilterError> {
        match self.next(what)? {
            Token::Function(name) => {
                let args = self.function_args(&name)?;
                Ok(Operand::Function { name, args })
            }
            token => plain_operand(token).map_err(|token| {
                FilterError(format!("expected {what} (identifier, text or number), got {}", describe(&token)))
            }),
        }
    }

    /// Arguments after `name(`: plain operands separated by commas, a
    /// trailing comma allowed (as PocketBase does), up to the `)`.
    fn function_args(&mut self, name: &str) -> Result<Vec<Operand>, FilterError> {
        let mut args = Vec::new();
        loop {
            match self.next(")")? {
                Token::CloseParen => return Ok(args),
                Token::Function(inner) => {
                    return Err(FilterError(format!("{name}: nested function {inner}() is not supported")));
                }
                token => args.push(plain_operand(token).map_err(|token| {
                    FilterError(format!("{name}: unexpected {} in the arguments", describe(&token)))
                })?),
            }
            match self.next(")")? {
                Token::Comma => {}
                Token::CloseParen => return Ok(args),
                other => {
                    return Err(FilterError(format!("{name}: expected , or ), got {}", describe(&other))));
                }
            }
        }
    }
}

/// The operand for a literal/identifier token; gives the token back otherwise.
fn plain_operand(token: Token) -> Result<Operand, Token> {
    match token {
        Token::Identifier(s) => Ok(Operand::Identifier(s)),
        Token::Text(s) => Ok(Operand::Text(s)),
        Token::Number(n) => Ok(Operand::Number(n)),
        Token::Placeholder(s) => Ok(Operand::Placeholder(s)),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{SignOp, tokenize};
    use super::*;

    fn parse_str(input: &str) -> Result<Expr, FilterError> {
        parse(tokenize(input)?)
    }

    fn cmp(left: &str, op: SignOp, right: f64) -> Expr {
        Expr::Comparison(Comparison {
            left: Operand::Identifier(left.into()),
            sign: Sign { op, any: false },
            right: Operand::Number(right),
        })
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let expr = parse_str("a = 1 || b = 2 && c = 3").expect("parses");
        assert_eq!(
            expr,
            Expr::Or(vec![
                cmp("a", SignOp::Eq, 1.0),
                Expr::And(vec![cmp("b", SignOp::Eq, 2.0), cmp("c", SignOp::Eq, 3.0)])
            ])
        );
    }

    #[test]
    fn parentheses_group() {
        let expr = parse_str("(a > 1 || b < 2) && ((c >= 3))").expect("parses");
        assert_eq!(
            expr,
            Expr::And(vec![
                Expr::Or(vec![cmp("a", SignOp::Gt, 1.0), cmp("b", SignOp::Lt, 2.0)]),
                cmp("c", SignOp::Gte, 3.0)
            ])
        );
    }

    #[test]
    fn functions_take_plain_arguments_with_optional_trailing_comma() {
        let expr = parse_str("geoDistance(a.lon, 1, {:x},) > 0").expect("parses");
        let Expr::Comparison(c) = expr else { panic!("not a comparison") };
        assert_eq!(
            c.left,
            Operand::Function {
                name: "geoDistance".into(),
                args: vec![Operand::Identifier("a.lon".into()), Operand::Number(1.0), Operand::Placeholder("x".into())],
            }
        );
    }

    // verified against PocketBase 0.40.6 (all rejected with 400)
    #[test]
    fn rejects_malformed_expressions() {
        let bad = [
            "",
            "   ",
            "// only a comment",
            "a =",
            "a = 1 &&",
            "&& a = 1",
            "a = 1 b = 2",
            "a = 1 garbage",
            "(a = 1",
            "a = 1)",
            "()",
            "() && a = 1",
            "a 1",
            "= 1",
            "f(g(1)) = 1",
            "f(1,,2) = 1",
            "f(,1) = 1",
            "f(1 = 1",
            "a = 1e1",
            "9title = 1",
        ];
        for input in bad {
            assert!(parse_str(input).is_err(), "{input:?} should fail");
        }
    }

    #[test]
    fn limits_the_number_of_expressions() {
        let at_limit = vec!["a = 1"; MAX_EXPRESSIONS].join(" && ");
        assert!(parse_str(&at_limit).is_ok());
        let over = vec!["a = 1"; MAX_EXPRESSIONS + 1].join(" || ");
        assert!(parse_str(&over).is_err_and(|e| e.0.contains("too many expressions")));
    }

    #[test]
    fn limits_nesting_depth() {
        let nested = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_str(&nested(MAX_DEPTH)).is_ok());
        assert!(parse_str(&nested(MAX_DEPTH + 1)).is_err_and(|e| e.0.contains("too deeply nested")));
    }
}
