//! The ECS cluster query language of `memberOf` constraints:
//! `attribute:zone == a`, `attribute:ecs.instance-type =~ t3.*`, `attribute:zone in [a, b]`,
//! `attribute:gpu exists`, `not (attribute:zone == c) and runningTasksCount < 10`.
//!
//! Subjects: `attribute:NAME` (the host's attributes), `instanceId` / `ec2InstanceId` / `host`
//! (the host's name), `runningTasksCount`. Operators: `==` `!=` `>` `>=` `<` `<=` `exists`
//! `!exists` `in` `not in` `=~` `!~` (and their word forms: `equals`, `not_equals`,
//! `matches`, `not_matches`, `not_exists`, `not_in`). `*` in a `==`/`!=` value is a wildcard.
//! Compound: `and`/`&&`, `or`/`||`, `not`/`!`, parentheses.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;

#[derive(Clone, Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Test(Test),
}

#[derive(Clone, Debug)]
pub struct Test {
    subject: Subject,
    op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Subject {
    Attribute(String),
    HostName,
    RunningTasks,
}

#[derive(Clone, Debug)]
enum Op {
    Equals(Pattern),
    NotEquals(Pattern),
    Compare(Ordering, String),
    Exists,
    NotExists,
    In(Vec<Pattern>),
    NotIn(Vec<Pattern>),
    Matches(Regex),
    NotMatches(Regex),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ordering {
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
}

/// A value, with `*` wildcards.
#[derive(Clone, Debug)]
struct Pattern(String);

impl Pattern {
    fn matches(&self, value: &str) -> bool {
        if !self.0.contains('*') {
            return self.0 == value;
        }
        let parts: Vec<&str> = self.0.split('*').collect();
        let mut rest = value;
        for (i, part) in parts.iter().enumerate() {
            if i == 0 {
                match rest.strip_prefix(part) {
                    Some(r) => rest = r,
                    None => return false,
                }
            } else if i == parts.len() - 1 {
                return rest.ends_with(part);
            } else {
                match rest.find(part) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        rest.is_empty()
    }
}

/// What an expression is evaluated against.
pub struct HostFacts<'a> {
    pub name: &'a str,
    pub attributes: &'a BTreeMap<String, String>,
    pub running_tasks: u32,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, QueryError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, pos: 0 };
        let expr = parser.or()?;
        match parser.peek() {
            None => Ok(expr),
            Some(token) => Err(QueryError(format!(
                "unexpected `{token}` after a complete expression"
            ))),
        }
    }

    pub fn eval(&self, host: &HostFacts<'_>) -> bool {
        match self {
            Expr::And(a, b) => a.eval(host) && b.eval(host),
            Expr::Or(a, b) => a.eval(host) || b.eval(host),
            Expr::Not(a) => !a.eval(host),
            Expr::Test(test) => test.eval(host),
        }
    }
}

impl Test {
    fn eval(&self, host: &HostFacts<'_>) -> bool {
        let count;
        let value: Option<&str> = match &self.subject {
            Subject::Attribute(name) => host.attributes.get(name).map(String::as_str),
            Subject::HostName => Some(host.name),
            Subject::RunningTasks => {
                count = host.running_tasks.to_string();
                Some(&count)
            }
        };
        match (&self.op, value) {
            (Op::Exists, v) => v.is_some(),
            (Op::NotExists, v) => v.is_none(),
            (Op::Equals(p), Some(v)) => p.matches(v),
            (Op::NotEquals(p), Some(v)) => !p.matches(v),
            (Op::NotEquals(_), None) => true,
            (Op::In(list), Some(v)) => list.iter().any(|p| p.matches(v)),
            (Op::NotIn(list), Some(v)) => !list.iter().any(|p| p.matches(v)),
            (Op::NotIn(_), None) => true,
            (Op::Matches(re), Some(v)) => re.is_match(v),
            (Op::NotMatches(re), Some(v)) => !re.is_match(v),
            (Op::NotMatches(_), None) => true,
            (Op::Compare(ordering, arg), Some(v)) => compare(v, arg, *ordering),
            (_, None) => false,
        }
    }
}

/// Numbers compare as numbers, anything else as text.
fn compare(value: &str, argument: &str, ordering: Ordering) -> bool {
    let result = match (value.parse::<f64>(), argument.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b),
        _ => Some(value.cmp(argument)),
    };
    let Some(result) = result else {
        return false;
    };
    match ordering {
        Ordering::Greater => result.is_gt(),
        Ordering::GreaterEqual => result.is_ge(),
        Ordering::Less => result.is_lt(),
        Ordering::LessEqual => result.is_le(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Symbol(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) | Token::Quoted(w) => f.write_str(w),
            Token::Symbol(s) => f.write_str(s),
        }
    }
}

const SYMBOLS: [&str; 16] = [
    "==", "!=", ">=", "<=", "=~", "!~", "&&", "||", ">", "<", "!", "(", ")", "[", "]", ",",
];

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let after_regex_op = matches!(tokens.last(), Some(Token::Symbol("=~" | "!~")))
            || matches!(tokens.last(), Some(Token::Word(w)) if w == "matches" || w == "not_matches");
        if after_regex_op && !rest.starts_with(['\'', '"']) {
            // An unquoted regular expression runs to the next space: brackets are its own.
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            tokens.push(Token::Word(rest[..end].to_string()));
            rest = rest[end..].trim_start();
            continue;
        }
        if let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            // `!exists` is one operator word.
            if *symbol == "!" && rest[1..].starts_with("exists") {
                tokens.push(Token::Word("!exists".into()));
                rest = &rest["!exists".len()..];
            } else {
                tokens.push(Token::Symbol(symbol));
                rest = &rest[symbol.len()..];
            }
        } else if let Some(quote @ ('\'' | '"')) = rest.chars().next() {
            let body = &rest[1..];
            let end = body
                .find(quote)
                .ok_or_else(|| QueryError(format!("unterminated quote in `{text}`")))?;
            tokens.push(Token::Quoted(body[..end].to_string()));
            rest = &body[end + 1..];
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || "()[],".contains(c))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            // A word ends before an operator written without spaces (`zone==a`).
            let cut = ["==", "!=", ">=", "<=", "=~", "!~", ">", "<"]
                .iter()
                .filter_map(|op| word.find(op).filter(|at| *at > 0))
                .min()
                .unwrap_or(word.len());
            tokens.push(Token::Word(word[..cut].to_string()));
            rest = &rest[cut..];
        }
        rest = rest.trim_start();
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn is_word(&self, words: &[&str]) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if words.contains(&w.to_ascii_lowercase().as_str()))
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.is_word(&["or"]) || self.is_symbol("||") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        while self.is_word(&["and"]) || self.is_symbol("&&") {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.is_word(&["not"]) || self.is_symbol("!") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.is_symbol("(") {
            self.pos += 1;
            let inner = self.or()?;
            if !self.is_symbol(")") {
                return Err(QueryError("expected `)`".into()));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.test()
    }

    fn test(&mut self) -> Result<Expr, QueryError> {
        let subject = match self.next() {
            Some(Token::Word(w)) => {
                if let Some(name) = w.strip_prefix("attribute:") {
                    if name.is_empty() {
                        return Err(QueryError(
                            "`attribute:` needs a name (`attribute:zone`)".into(),
                        ));
                    }
                    Subject::Attribute(name.to_string())
                } else {
                    match w.as_str() {
                        "instanceId" | "ec2InstanceId" | "host" | "hostname" => Subject::HostName,
                        "runningTasksCount" => Subject::RunningTasks,
                        other => {
                            return Err(QueryError(format!(
                                "unknown subject `{other}`: expected `attribute:NAME`, `instanceId` or `runningTasksCount`"
                            )));
                        }
                    }
                }
            }
            Some(other) => {
                return Err(QueryError(format!(
                    "expected a subject such as `attribute:zone`, found `{other}`"
                )));
            }
            None => {
                return Err(QueryError(
                    "the expression is empty or ends too early".into(),
                ));
            }
        };
        let op_token = self.next().ok_or_else(|| {
            QueryError("expected an operator (`==`, `in`, `exists`, ...) after the subject".into())
        })?;
        let op_text = match &op_token {
            Token::Word(w) => w.to_ascii_lowercase(),
            Token::Symbol(s) => (*s).to_string(),
            Token::Quoted(q) => {
                return Err(QueryError(format!("expected an operator, found `'{q}'`")));
            }
        };
        let op = match op_text.as_str() {
            "exists" => Op::Exists,
            "!exists" | "not_exists" => Op::NotExists,
            "==" | "equals" => Op::Equals(Pattern(self.value()?)),
            "!=" | "not_equals" => Op::NotEquals(Pattern(self.value()?)),
            ">" | "greater_than" => Op::Compare(Ordering::Greater, self.value()?),
            ">=" | "greater_than_equal" => Op::Compare(Ordering::GreaterEqual, self.value()?),
            "<" | "less_than" => Op::Compare(Ordering::Less, self.value()?),
            "<=" | "less_than_equal" => Op::Compare(Ordering::LessEqual, self.value()?),
            "in" => Op::In(self.list()?),
            "not_in" => Op::NotIn(self.list()?),
            "not" if self.is_word(&["in"]) => {
                self.pos += 1;
                Op::NotIn(self.list()?)
            }
            "=~" | "matches" => Op::Matches(self.regex()?),
            "!~" | "not_matches" => Op::NotMatches(self.regex()?),
            other => {
                return Err(QueryError(format!(
                    "unknown operator `{other}`: expected ==, !=, >, >=, <, <=, exists, !exists, in, not in, =~ or !~"
                )));
            }
        };
        Ok(Expr::Test(Test { subject, op }))
    }

    fn value(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Word(w) | Token::Quoted(w)) => Ok(w),
            Some(other) => Err(QueryError(format!("expected a value, found `{other}`"))),
            None => Err(QueryError(
                "expected a value at the end of the expression".into(),
            )),
        }
    }

    fn regex(&mut self) -> Result<Regex, QueryError> {
        let text = self.value()?;
        Regex::new(&format!("^(?:{text})$"))
            .map_err(|e| QueryError(format!("invalid regular expression `{text}`: {e}")))
    }

    fn list(&mut self) -> Result<Vec<Pattern>, QueryError> {
        if !self.is_symbol("[") {
            return Err(QueryError("`in` takes a list: `in [a, b]`".into()));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            items.push(Pattern(self.value()?));
            match self.next() {
                Some(Token::Symbol(",")) => {}
                Some(Token::Symbol("]")) => return Ok(items),
                _ => return Err(QueryError("expected `,` or `]` in the list".into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host<'a>(attributes: &'a BTreeMap<String, String>) -> HostFacts<'a> {
        HostFacts {
            name: "node-a",
            attributes,
            running_tasks: 4,
        }
    }

    fn eval(expr: &str) -> bool {
        let attributes: BTreeMap<String, String> = [
            ("zone", "a"),
            ("ecs.instance-type", "t3.large"),
            ("disk", "ssd"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Expr::parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .eval(&host(&attributes))
    }

    #[test]
    fn comparisons() {
        assert!(eval("attribute:zone == a"));
        assert!(eval("attribute:zone==a"));
        assert!(!eval("attribute:zone != a"));
        assert!(eval("attribute:zone equals 'a'"));
        assert!(eval("attribute:ecs.instance-type == t3.*"));
        assert!(eval(
            "attribute:ecs.instance-type =~ t[23]\\.(large|xlarge)"
        ));
        assert!(!eval("attribute:ecs.instance-type !~ t3\\..*"));
        assert!(eval("attribute:zone in [a, b]"));
        assert!(!eval("attribute:zone not in [a, b]"));
        assert!(eval("attribute:zone not_in [c]"));
        assert!(eval("attribute:disk exists"));
        assert!(eval("attribute:gpu !exists"));
        assert!(eval("attribute:gpu not_exists"));
        assert!(
            !eval("attribute:gpu == x"),
            "a missing attribute equals nothing"
        );
        assert!(eval("attribute:gpu != x"));
        assert!(eval("runningTasksCount < 10"));
        assert!(!eval("runningTasksCount >= 10"));
        assert!(eval("instanceId == node-a"));
    }

    #[test]
    fn compounds_with_precedence() {
        assert!(eval(
            "attribute:zone == b or attribute:disk == ssd and attribute:zone == a"
        ));
        assert!(!eval(
            "(attribute:zone == b or attribute:disk == ssd) and attribute:zone == c"
        ));
        assert!(eval("not attribute:zone == b"));
        assert!(eval("!(attribute:zone == b) && attribute:zone in [a]"));
        assert!(eval("attribute:zone == c || attribute:zone == a"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |text: &str| Expr::parse(text).expect_err(text).to_string();
        assert!(err("attribute:zone").contains("expected an operator"));
        assert!(err("zone == a").contains("unknown subject `zone`"));
        assert!(err("attribute:zone in a").contains("takes a list"));
        assert!(err("attribute:zone == a and").contains("ends too early"));
        assert!(err("attribute:zone =~ '('").contains("invalid regular expression"));
        assert!(err("attribute:zone ~~ a").contains("unknown operator"));
        assert!(err("(attribute:zone == a").contains("expected `)`"));
    }
}
