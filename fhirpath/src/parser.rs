//! FHIRPath text to an [`Expression`]: a hand-written lexer and a
//! precedence-climbing parser following the FHIRPath 2.0 grammar
//! (operator precedence as in §9 "Operator precedence").

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;

use crate::ast::{BinaryOp, Expression, Function, Literal, Node, NodeId, TypeName, TypeOp};
use crate::temporal::{DateTime, Time};

/// Deepest nesting of parentheses, operators and calls an expression may
/// have: parsing recurses, and hostile input must not exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Why an expression does not parse, with the byte offset it was found at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// An identifier; `true` when written between backticks (never a keyword).
    Ident(String, bool),
    Str(String),
    Number(String),
    /// `@...`: a date, date-time or time (with its `T`), without the `@`.
    Temporal(String),
    /// `%name`
    Variable(String),
    /// `$this`, `$index`, `$total`
    Special(String),
    Punct(&'static str),
    End,
}

struct Lexer<'s> {
    text: &'s str,
    pos: usize,
}

const PUNCTUATION: [&str; 22] = [
    "<=", ">=", "!=", "!~", ".", "[", "]", "(", ")", "{", "}", ",", "+", "-", "*", "/", "&", "|",
    "<", ">", "=", "~",
];

impl<'s> Lexer<'s> {
    fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            offset,
            message: message.into(),
        }
    }

    fn skip_blank(&mut self) -> Result<(), ParseError> {
        loop {
            let rest = &self.text[self.pos..];
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(comment) = trimmed.strip_prefix("/*") {
                let end = comment
                    .find("*/")
                    .ok_or_else(|| self.error(self.pos, "unterminated comment"))?;
                self.pos += end + 4;
            } else {
                return Ok(());
            }
        }
    }

    fn quoted(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    out.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'f' => '\u{c}',
                        '\\' | '/' | '\'' | '"' | '`' => e,
                        'u' => {
                            let hex: String = (0..4)
                                .filter_map(|_| chars.next())
                                .map(|(_, c)| c)
                                .collect();
                            u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == 4)
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error(self.pos + i, "bad \\u escape"))?
                        }
                        other => {
                            return Err(
                                self.error(self.pos + i, format!("unknown escape \\{other}"))
                            );
                        }
                    });
                }
                c => out.push(c),
            }
        }
        Err(self.error(start, "unterminated string"))
    }

    fn next(&mut self) -> Result<(Token, usize), ParseError> {
        self.skip_blank()?;
        let start = self.pos;
        let rest = &self.text[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok((Token::End, start));
        };
        let word_len = |s: &str| {
            s.char_indices()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(s.len(), |(i, _)| i)
        };
        let token = if c == '\'' {
            Token::Str(self.quoted('\'')?)
        } else if c == '`' {
            Token::Ident(self.quoted('`')?, true)
        } else if c.is_ascii_alphabetic() || c == '_' {
            let n = word_len(rest);
            self.pos += n;
            Token::Ident(rest[..n].to_owned(), false)
        } else if c.is_ascii_digit() {
            let mut n = rest.bytes().take_while(u8::is_ascii_digit).count();
            let after = &rest.as_bytes()[n..];
            if after.first() == Some(&b'.') && after.get(1).is_some_and(u8::is_ascii_digit) {
                n += 1 + rest.as_bytes()[n + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            }
            self.pos += n;
            Token::Number(rest[..n].to_owned())
        } else if c == '@' {
            // A `.` belongs to the literal only before a digit (milliseconds):
            // `@2015.is(Date)` calls a function on `@2015`.
            let bytes = rest.as_bytes();
            let mut n = 0;
            while let Some(&b) = bytes.get(1 + n) {
                let fraction = b == b'.' && bytes.get(2 + n).is_some_and(u8::is_ascii_digit);
                if !(b.is_ascii_digit() || b"-:TZ+".contains(&b) || fraction) {
                    break;
                }
                n += 1;
            }
            self.pos += 1 + n;
            Token::Temporal(rest[1..1 + n].to_owned())
        } else if c == '%' {
            self.pos += 1;
            match self.text[self.pos..].chars().next() {
                Some('`') => Token::Variable(self.quoted('`')?),
                Some('\'') => Token::Variable(self.quoted('\'')?),
                _ => {
                    let n = word_len(&self.text[self.pos..]);
                    if n == 0 {
                        return Err(self.error(start, "`%` without a name"));
                    }
                    let name = self.text[self.pos..self.pos + n].to_owned();
                    self.pos += n;
                    Token::Variable(name)
                }
            }
        } else if c == '$' {
            let n = word_len(&rest[1..]);
            self.pos += 1 + n;
            Token::Special(rest[1..1 + n].to_owned())
        } else if let Some(p) = PUNCTUATION.iter().find(|p| rest.starts_with(**p)) {
            self.pos += p.len();
            Token::Punct(p)
        } else {
            return Err(self.error(start, format!("unexpected character `{c}`")));
        };
        Ok((token, start))
    }
}

/// Parses a FHIRPath expression.
pub fn parse(text: &str) -> Result<Expression<'static>, ParseError> {
    let mut parser = Parser {
        lexer: Lexer { text, pos: 0 },
        token: Token::End,
        offset: 0,
        nodes: Vec::new(),
        depths: Vec::new(),
        too_deep: None,
        depth: 0,
    };
    parser.advance()?;
    parser.expression(0)?;
    if parser.token != Token::End {
        return Err(parser.error("unexpected text after the expression"));
    }
    if let Some(offset) = parser.too_deep {
        return Err(ParseError {
            offset,
            message: format!("expression nested deeper than {MAX_DEPTH}"),
        });
    }
    Ok(Expression::from_nodes(Cow::Owned(parser.nodes)))
}

struct Parser<'s> {
    lexer: Lexer<'s>,
    token: Token,
    offset: usize,
    nodes: Vec<Node<'static>>,
    /// Each node's depth in the tree.
    depths: Vec<usize>,
    /// Where the tree first grew deeper than [`MAX_DEPTH`].
    too_deep: Option<usize>,
    depth: usize,
}

/// Calendar duration keywords a quantity may use instead of a UCUM unit.
pub(crate) const CALENDAR_UNITS: [&str; 16] = [
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "millisecond",
    "milliseconds",
];

fn binary(token: &Token) -> Option<(BinaryOp, u8)> {
    use BinaryOp::*;
    Some(match token {
        Token::Punct(p) => match *p {
            "*" => (Multiply, 10),
            "/" => (Divide, 10),
            "+" => (Add, 9),
            "-" => (Subtract, 9),
            "&" => (Concatenate, 9),
            "|" => (Union, 7),
            "<" => (LessThan, 6),
            "<=" => (LessOrEqual, 6),
            ">" => (GreaterThan, 6),
            ">=" => (GreaterOrEqual, 6),
            "=" => (Equal, 5),
            "~" => (Equivalent, 5),
            "!=" => (NotEqual, 5),
            "!~" => (NotEquivalent, 5),
            _ => return None,
        },
        Token::Ident(word, false) => match word.as_str() {
            "div" => (Div, 10),
            "mod" => (Mod, 10),
            "in" => (In, 4),
            "contains" => (Contains, 4),
            "and" => (And, 3),
            "or" => (Or, 2),
            "xor" => (Xor, 2),
            "implies" => (Implies, 1),
            _ => return None,
        },
        _ => return None,
    })
}

const TYPE_OPERATOR_POWER: u8 = 8;
const PREFIX_POWER: u8 = 11;

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.offset,
            message: message.into(),
        }
    }

    fn advance(&mut self) -> Result<Token, ParseError> {
        let (token, offset) = self.lexer.next()?;
        self.offset = offset;
        Ok(std::mem::replace(&mut self.token, token))
    }

    fn expect(&mut self, punct: &str) -> Result<(), ParseError> {
        if self.token
            != Token::Punct(match PUNCTUATION.iter().find(|p| **p == punct) {
                Some(p) => p,
                None => return Err(self.error("internal: unknown punctuation")),
            })
        {
            return Err(self.error(format!("expected `{punct}`")));
        }
        self.advance()?;
        Ok(())
    }

    fn push(&mut self, node: Node<'static>) -> NodeId {
        // The depth of the tree, which evaluation recurses through: a long
        // chain (`a or b or c...`) is as deep as a nesting.
        let children: Vec<NodeId> = match &node {
            Node::Member { target, .. } => target.iter().copied().collect(),
            Node::Call { target, args, .. } => target.iter().chain(args.iter()).copied().collect(),
            Node::Indexer { target, index } => vec![*target, *index],
            Node::Negate(operand) | Node::TypeTest { operand, .. } => vec![*operand],
            Node::Binary { left, right, .. } => vec![*left, *right],
            _ => Vec::new(),
        };
        let depth = 1 + children
            .iter()
            .map(|&c| self.depths[c as usize])
            .max()
            .unwrap_or(0);
        if depth > MAX_DEPTH && self.too_deep.is_none() {
            self.too_deep = Some(self.offset);
        }
        self.depths.push(depth);
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn expression(&mut self, min_power: u8) -> Result<NodeId, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("expression nested deeper than {MAX_DEPTH}")));
        }
        let mut left = self.prefix()?;
        loop {
            left = match &self.token {
                Token::Punct(".") => {
                    self.advance()?;
                    self.invocation(Some(left))?
                }
                Token::Punct("[") => {
                    self.advance()?;
                    let index = self.expression(0)?;
                    self.expect("]")?;
                    self.push(Node::Indexer {
                        target: left,
                        index,
                    })
                }
                Token::Ident(word, false)
                    if (word == "is" || word == "as") && TYPE_OPERATOR_POWER > min_power =>
                {
                    let op = if word == "is" { TypeOp::Is } else { TypeOp::As };
                    self.advance()?;
                    let type_name = self.type_name()?;
                    self.push(Node::TypeTest {
                        op,
                        operand: left,
                        type_name,
                    })
                }
                token => match binary(token) {
                    Some((op, power)) if power > min_power => {
                        self.advance()?;
                        let right = self.expression(power)?;
                        self.push(Node::Binary { op, left, right })
                    }
                    _ => break,
                },
            };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn type_name(&mut self) -> Result<TypeName<'static>, ParseError> {
        let first = self.identifier()?;
        if self.token == Token::Punct(".") {
            self.advance()?;
            let name = self.identifier()?;
            return Ok(TypeName {
                namespace: Some(Cow::Owned(first)),
                name: Cow::Owned(name),
            });
        }
        Ok(TypeName {
            namespace: None,
            name: Cow::Owned(first),
        })
    }

    fn identifier(&mut self) -> Result<String, ParseError> {
        match self.advance()? {
            Token::Ident(name, _) => Ok(name),
            _ => Err(self.error("expected an identifier")),
        }
    }

    fn prefix(&mut self) -> Result<NodeId, ParseError> {
        let is_invocation = match &self.token {
            Token::Special(_) => true,
            Token::Ident(word, delimited) => *delimited || (word != "true" && word != "false"),
            _ => false,
        };
        if is_invocation {
            return self.invocation(None);
        }
        let offset = self.offset;
        match self.advance()? {
            Token::Punct(sign @ ("+" | "-")) => {
                let operand = self.expression(PREFIX_POWER)?;
                if sign == "+" {
                    return Ok(operand);
                }
                // A negative number is a literal, so that a generator writes it as one.
                let last = self.nodes.len() - 1;
                if operand as usize == last {
                    match &mut self.nodes[last] {
                        Node::Literal(Literal::Integer(i)) => {
                            *i = -*i;
                            return Ok(operand);
                        }
                        Node::Literal(Literal::Decimal(d))
                        | Node::Literal(Literal::Quantity { value: d, .. }) => {
                            d.set_sign_negative(!d.is_sign_negative());
                            return Ok(operand);
                        }
                        _ => {}
                    }
                }
                Ok(self.push(Node::Negate(operand)))
            }
            Token::Punct("(") => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                Ok(inner)
            }
            Token::Punct("{") => {
                self.expect("}")?;
                Ok(self.push(Node::Empty))
            }
            Token::Str(s) => Ok(self.push(Node::Literal(Literal::String(Cow::Owned(s))))),
            Token::Number(text) => self.number(&text, offset),
            Token::Temporal(text) => {
                let literal = if let Some(time) = text.strip_prefix('T') {
                    Literal::Time(Time::parse(time).ok_or_else(|| ParseError {
                        offset,
                        message: format!("bad time @{text}"),
                    })?)
                } else {
                    match DateTime::parse(&text) {
                        Some((value, true)) => Literal::DateTime(value),
                        Some((value, false)) => Literal::Date(value),
                        None => {
                            return Err(ParseError {
                                offset,
                                message: format!("bad date or date-time @{text}"),
                            });
                        }
                    }
                };
                Ok(self.push(Node::Literal(literal)))
            }
            Token::Variable(name) => Ok(self.push(Node::Variable(Cow::Owned(name)))),
            Token::Ident(word, false) if word == "true" || word == "false" => {
                Ok(self.push(Node::Literal(Literal::Boolean(word == "true"))))
            }
            Token::End => Err(ParseError {
                offset,
                message: "expression expected, found the end".to_owned(),
            }),
            other => Err(ParseError {
                offset,
                message: format!("unexpected {other:?}"),
            }),
        }
    }

    fn number(&mut self, text: &str, offset: usize) -> Result<NodeId, ParseError> {
        let bad = |message: String| ParseError { offset, message };
        let unit = match &self.token {
            Token::Str(unit) => Some(unit.clone()),
            Token::Ident(word, false) if CALENDAR_UNITS.contains(&word.as_str()) => {
                Some(word.clone())
            }
            _ => None,
        };
        let literal = if let Some(unit) = unit {
            self.advance()?;
            let value = text
                .parse::<Decimal>()
                .map_err(|e| bad(format!("bad number {text}: {e}")))?;
            Literal::Quantity {
                value,
                unit: Cow::Owned(unit),
            }
        } else if text.contains('.') {
            Literal::Decimal(
                text.parse::<Decimal>()
                    .map_err(|e| bad(format!("bad decimal {text}: {e}")))?,
            )
        } else {
            match text.parse::<i32>() {
                Ok(i) => Literal::Integer(i64::from(i)),
                // Beyond Integer's 32 bits: a decimal, as FHIRPath 2.0 has no Long.
                Err(_) => Literal::Decimal(
                    text.parse::<Decimal>()
                        .map_err(|e| bad(format!("bad number {text}: {e}")))?,
                ),
            }
        };
        Ok(self.push(Node::Literal(literal)))
    }

    fn invocation(&mut self, target: Option<NodeId>) -> Result<NodeId, ParseError> {
        match self.advance()? {
            Token::Special(name) => {
                let node = match name.as_str() {
                    "this" => Node::This,
                    "index" => Node::Index,
                    "total" => Node::Total,
                    _ => return Err(self.error(format!("unknown `${name}`"))),
                };
                if target.is_some() {
                    return Err(self.error(format!("`${name}` after `.`")));
                }
                Ok(self.push(node))
            }
            Token::Ident(name, delimited) => {
                if !delimited && self.token == Token::Punct("(") {
                    let function = Function::from_name(&name)
                        .ok_or_else(|| self.error(format!("unknown function `{name}`")))?;
                    self.advance()?;
                    let mut args = Vec::new();
                    if self.token != Token::Punct(")") {
                        loop {
                            args.push(self.expression(0)?);
                            if self.token != Token::Punct(",") {
                                break;
                            }
                            self.advance()?;
                        }
                    }
                    self.expect(")")?;
                    let (min, max) = function.arity();
                    if args.len() < min || args.len() > max {
                        return Err(self.error(format!(
                            "`{name}` takes {} arguments, not {}",
                            if min == max {
                                min.to_string()
                            } else {
                                format!("{min} to {max}")
                            },
                            args.len()
                        )));
                    }
                    return Ok(self.push(Node::Call {
                        target,
                        function,
                        args: Cow::Owned(args),
                    }));
                }
                Ok(self.push(Node::Member {
                    target,
                    name: Cow::Owned(name),
                }))
            }
            _ => Err(self.error("expected a name or a function call")),
        }
    }
}
