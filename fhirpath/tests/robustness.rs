//! Hostile text never panics the parser or the evaluator: random sequences
//! of FHIRPath's own tokens (so that most get past the lexer and reach the
//! parser and the evaluator), and nesting far beyond the limit.

use fhirgen_fhirpath::model::NoData;
use fhirgen_fhirpath::{Environment, MAX_DEPTH, parse};

const TOKENS: &[&str] = &[
    "1",
    "2.5",
    "0",
    "-",
    "+",
    "*",
    "/",
    " div ",
    " mod ",
    "&",
    "|",
    "=",
    "!=",
    "~",
    "!~",
    "<",
    "<=",
    ">",
    ">=",
    " and ",
    " or ",
    " xor ",
    " implies ",
    " in ",
    " contains ",
    " is ",
    " as ",
    "(",
    ")",
    "[",
    "]",
    "{}",
    ".",
    ",",
    "'a'",
    "'\\u0041'",
    "@2020",
    "@2020-01-01T10:00Z",
    "@T10:30",
    "5 'mg'",
    "3 days",
    "true",
    "false",
    "$this",
    "$index",
    "$total",
    "%resource",
    "name",
    "Integer",
    "where(",
    "select(",
    "repeat(",
    "iif(",
    "exists(",
    "count()",
    "first()",
    "aggregate(",
    "sort(",
    "substring(",
    "matches(",
    "'[a-z'",
    "toQuantity(",
    "lowBoundary(",
    "power(",
    "combine(",
    "descendants()",
    "ofType(",
    "trace(",
    "`x`",
    "//c\n",
    "/*c*/",
    "5 'L127'",
    "2 'km-128'",
    "0.0000000000000000000000000001",
    "79228162514264337593543950335",
    "highBoundary(",
    "lowBoundary()",
    "precision()",
    "round(",
    "sqrt()",
    "exp()",
];

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_token_sequences_never_panic() {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let environment = Environment::new(&NoData);
    let mut parsed = 0;
    for _ in 0..100_000 {
        let length = 1 + (random.next() % 12) as usize;
        let text: String = (0..length)
            .map(|_| TOKENS[(random.next() % TOKENS.len() as u64) as usize])
            .collect();
        if let Ok(expression) = parse(&text) {
            parsed += 1;
            let _ = environment.evaluate(&expression, Vec::new());
        }
    }
    assert!(
        parsed > 5_000,
        "only {parsed} of the random expressions parsed"
    );
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
    // In a thread with a small stack, as a server's worker might have.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            for depth in [MAX_DEPTH / 2, MAX_DEPTH - 2, MAX_DEPTH * 100] {
                for (open, close) in [("(", ")"), ("-", ""), ("1.where(", ")"), ("{}|", "")] {
                    let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
                    match parse(&text) {
                        Ok(expression) => {
                            assert!(depth <= MAX_DEPTH, "{open}: parsed at depth {depth}");
                            let _ = Environment::new(&NoData).evaluate(&expression, Vec::new());
                        }
                        Err(e) => assert!(
                            depth > MAX_DEPTH / 2 || !e.message.contains("deeper"),
                            "{open} at {depth}: {e}"
                        ),
                    }
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
