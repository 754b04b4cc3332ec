//! A condition of a branch or a routing rule: a Rhai expression that holds unless it gives
//! false, `()`, zero or empty text.
//!
//! Most conditions authors write are a path compared with a literal (`vars.status ==
//! "shipped"`, `vars.not_found_count < 2`), a path alone (`vars.want_agent`), a value's type or
//! length (`type_of(customer.orders) == "array"`, `customer.orders.len() == 1`), or a few of
//! those joined by `&&` or by `||`. Those are answered by looking the paths up, without Rhai,
//! when the values found make the answer certain: a value of the literal's own type, and `true`
//! or `false` on each side of `&&` and `||`. Anything else — a missing key, a number compared
//! with text, an integer with a float — goes to Rhai, so the answer is always Rhai's.

use rhai::{Dynamic, AST, FLOAT, INT};

use crate::path::Path;
use crate::script::{Bindings, Sandbox, ScriptError, SyntaxError};

#[derive(Debug, Clone)]
pub(crate) struct Condition {
    ast: AST,
    quick: Option<Quick>,
}

#[derive(Debug, Clone)]
enum Quick {
    One(Atom),
    /// Atoms joined by `&&`: Rhai stops at the first false one.
    All(Vec<Atom>),
    /// Atoms joined by `||`: Rhai stops at the first true one.
    Any(Vec<Atom>),
}

#[derive(Debug, Clone)]
enum Atom {
    Holds(Path),
    Compare(Path, Op, Literal),
    /// `type_of(path) == "name"` (or `!=`).
    TypeOf(Path, Op, Box<str>),
    /// `path.len() op integer`.
    Len(Path, Op, INT),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Text(Box<str>),
    Int(INT),
    Float(FLOAT),
    Bool(bool),
}

impl Condition {
    pub(crate) fn compile(sandbox: &Sandbox, text: &str) -> Result<Self, SyntaxError> {
        Ok(Condition {
            ast: sandbox.compile_expression(text)?,
            quick: Quick::parse(text),
        })
    }

    /// Whether the condition holds for the call as it is.
    pub(crate) fn holds(
        &self,
        sandbox: &Sandbox,
        bindings: &mut Bindings,
    ) -> Result<bool, ScriptError> {
        if let Some(answer) = self.quick.as_ref().and_then(|quick| quick.answer(bindings)) {
            return Ok(answer);
        }
        sandbox
            .eval_expression(&self.ast, bindings)
            .map(|value| truthy(&value))
    }
}

/// Conditions count as true unless false, unit, zero or empty.
pub(crate) fn truthy(value: &Dynamic) -> bool {
    if let Ok(b) = value.as_bool() {
        return b;
    }
    if value.is_unit() {
        return false;
    }
    if let Ok(i) = value.as_int() {
        return i != 0;
    }
    if let Ok(text) = value.as_immutable_string_ref() {
        return !text.is_empty();
    }
    true
}

impl Quick {
    /// One atom, or atoms joined by `&&` alone or by `||` alone (mixing them, or parentheses
    /// around atoms, is left to Rhai).
    fn parse(text: &str) -> Option<Quick> {
        let (parts, joined_by) = split_joined(text)?;
        let atoms = parts
            .into_iter()
            .map(Atom::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(match joined_by {
            None => Quick::One(atoms.into_iter().next()?),
            Some(Join::And) => Quick::All(atoms),
            Some(Join::Or) => Quick::Any(atoms),
        })
    }

    /// The answer when the values at the paths make it certain; `None` sends it to Rhai.
    fn answer(&self, bindings: &Bindings) -> Option<bool> {
        match self {
            Quick::One(Atom::Holds(path)) => path
                .visit(bindings, &mut |value| {
                    (!value.is_unit()).then(|| truthy(value))
                })
                .flatten(),
            Quick::One(atom) => atom.boolean(bindings),
            // Rhai's `&&` and `||` take `true` or `false` on each side they evaluate (anything
            // else is its error), and evaluate the right side only when the left does not
            // decide.
            Quick::All(atoms) => {
                for atom in atoms {
                    if !atom.boolean(bindings)? {
                        return Some(false);
                    }
                }
                Some(true)
            }
            Quick::Any(atoms) => {
                for atom in atoms {
                    if atom.boolean(bindings)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    And,
    Or,
}

/// `text` cut at `&&` or at `||` outside text literals, and which of them joined it; `None`
/// when both occur.
fn split_joined(text: &str) -> Option<(Vec<&str>, Option<Join>)> {
    let mut parts = Vec::new();
    let mut joined_by = None;
    let (mut start, mut in_text) = (0, false);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let join = match &bytes[i..] {
            [b'"', ..] => {
                in_text = !in_text;
                None
            }
            [b'&', b'&', ..] if !in_text => Some(Join::And),
            [b'|', b'|', ..] if !in_text => Some(Join::Or),
            _ => None,
        };
        if let Some(join) = join {
            if joined_by.is_some_and(|j| j != join) {
                return None;
            }
            joined_by = Some(join);
            parts.push(&text[start..i]);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    parts.push(&text[start..]);
    Some((parts, joined_by))
}

impl Atom {
    /// `path`, `path op literal` with a text in double quotes (no escapes), an integer, a float
    /// written with a point, `true` or `false`; `type_of(path) == "name"`; `path.len() op
    /// integer`.
    fn parse(text: &str) -> Option<Atom> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("type_of(") {
            let (path, rest) = rest.split_once(')')?;
            let (op, literal) = operator(rest.trim_start())?;
            let Literal::Text(name) = Literal::parse(literal.trim())? else {
                return None;
            };
            return matches!(op, Op::Eq | Op::Ne).then_some(Atom::TypeOf(
                Path::parse(path.trim())?,
                op,
                name,
            ));
        }
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let (path, rest) = (&text[..end], text[end..].trim_start());
        if let Some(rest) = rest.strip_prefix("()") {
            let path = path.strip_suffix(".len")?;
            let (op, literal) = operator(rest.trim_start())?;
            let Literal::Int(n) = Literal::parse(literal.trim())? else {
                return None;
            };
            return Some(Atom::Len(Path::parse(path)?, op, n));
        }
        let path = Path::parse(path)?;
        if rest.is_empty() {
            return Some(Atom::Holds(path));
        }
        let (op, literal) = operator(rest)?;
        let literal = Literal::parse(literal.trim())?;
        // Text and true/false are only compared for (in)equality here; Rhai orders the rest.
        let ordered = matches!(literal, Literal::Int(_) | Literal::Float(_));
        (ordered || matches!(op, Op::Eq | Op::Ne)).then_some(Atom::Compare(path, op, literal))
    }

    /// The atom's `true` or `false` as an operand of `&&` and `||`: `None` unless the value
    /// found makes it certain and Rhai's value is a boolean.
    fn boolean(&self, bindings: &Bindings) -> Option<bool> {
        match self {
            Atom::Holds(path) => path
                .visit(bindings, &mut |value| value.as_bool().ok())
                .flatten(),
            Atom::Compare(path, op, literal) => path
                .visit(bindings, &mut |value| literal.compare(value, *op))
                .flatten(),
            // A key missing from a map is `()` to Rhai, whose type is "()"; a key looked up in
            // `()` is Rhai's error, so a missing value counts only when its parent is a map.
            Atom::TypeOf(path, op, name) => {
                let type_name = path.visit(bindings, &mut |value| value.type_name())?;
                let in_a_map = || match path.parent() {
                    None => Some(true),
                    Some(parent) => parent.visit(bindings, &mut Dynamic::is_map),
                };
                (type_name != "()" || in_a_map()?).then(|| op.holds(type_name.cmp(name)))
            }
            Atom::Len(path, op, n) => path
                .visit(bindings, &mut |value| {
                    let len = if let Ok(text) = value.as_immutable_string_ref() {
                        text.chars().count()
                    } else if value.is_array() {
                        value.as_array_ref().ok()?.len()
                    } else if value.is_map() {
                        value.as_map_ref().ok()?.len()
                    } else {
                        return None;
                    };
                    Some(op.holds(INT::try_from(len).ok()?.cmp(n)))
                })
                .flatten(),
        }
    }
}

/// The comparison `rest` starts with, and what follows it.
fn operator(rest: &str) -> Option<(Op, &str)> {
    [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ]
    .into_iter()
    .find_map(|(symbol, op)| Some((op, rest.strip_prefix(symbol)?)))
}

impl Op {
    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        match self {
            Op::Eq => ordering.is_eq(),
            Op::Ne => ordering.is_ne(),
            Op::Lt => ordering.is_lt(),
            Op::Le => ordering.is_le(),
            Op::Gt => ordering.is_gt(),
            Op::Ge => ordering.is_ge(),
        }
    }
}

impl Literal {
    fn parse(text: &str) -> Option<Literal> {
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            return (!inner.contains(['"', '\\'])).then(|| Literal::Text(inner.into()));
        }
        match text {
            "true" => return Some(Literal::Bool(true)),
            "false" => return Some(Literal::Bool(false)),
            _ => {}
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match digits.split_once('.') {
            None if plain(digits) => text.parse().ok().map(Literal::Int),
            Some((whole, fraction)) if plain(whole) && plain(fraction) => {
                text.parse().ok().map(Literal::Float)
            }
            _ => None,
        }
    }

    /// `value op literal` when the value has the literal's type.
    fn compare(&self, value: &Dynamic, op: Op) -> Option<bool> {
        let ordering = match self {
            Literal::Int(literal) => {
                let value = value.as_int().ok()?;
                value.cmp(literal)
            }
            Literal::Float(literal) => {
                // Rhai has its own answers for NaN (`NaN != 8.5` is false there).
                value.as_float().ok()?.partial_cmp(literal)?
            }
            Literal::Bool(literal) => {
                let value = value.as_bool().ok()?;
                value.cmp(literal)
            }
            Literal::Text(literal) => {
                let value = value.as_immutable_string_ref().ok()?;
                value.as_str().cmp(literal)
            }
        };
        Some(op.holds(ordering))
    }
}

#[cfg(test)]
mod tests {
    use rhai::Map;

    use super::*;
    use crate::script::Limits;

    fn bindings() -> Bindings {
        let mut vars = Map::new();
        vars.insert("status".into(), Dynamic::from("shipped"));
        vars.insert("count".into(), Dynamic::from_int(2));
        vars.insert("score".into(), Dynamic::from_float(8.5));
        vars.insert("nan".into(), Dynamic::from_float(FLOAT::NAN));
        vars.insert("yes".into(), Dynamic::from_bool(true));
        vars.insert("empty".into(), Dynamic::from(""));
        vars.insert("nothing".into(), Dynamic::UNIT);
        vars.insert(
            "list".into(),
            Dynamic::from_array(vec![Dynamic::from_int(1)]),
        );
        let mut order = Map::new();
        order.insert("state".into(), Dynamic::from("paid"));
        vars.insert("order".into(), Dynamic::from_map(order));
        let mut customer = Map::new();
        customer.insert("vip".into(), Dynamic::from("gold"));
        Bindings {
            vars,
            customer,
            ..Bindings::default()
        }
    }

    #[test]
    fn quick_answers_are_rhais() {
        let sandbox = Sandbox::new(Limits::default());
        let values = [
            "vars.status",
            "vars.count",
            "vars.score",
            "vars.nan",
            "vars.yes",
            "vars.empty",
            "vars.nothing",
            "vars.missing",
            "vars.missing.deeper",
            "vars.nothing.deeper",
            "vars.order.missing",
            "vars.list",
            "vars.order",
            "vars.order.state",
            "customer.vip",
        ];
        let literals = [
            "\"shipped\"",
            "\"\"",
            "\"paid\"",
            "2",
            "-3",
            "8.5",
            "2.0",
            "true",
            "false",
        ];
        let ops = ["==", "!=", "<", "<=", ">", ">="];
        let mut conditions: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        for value in values {
            for op in ops {
                for literal in literals {
                    conditions.push(format!("{value} {op} {literal}"));
                    conditions.push(format!("  {value}{op}{literal} "));
                }
                for n in ["0", "1", "6", "-1"] {
                    conditions.push(format!("{value}.len() {op} {n}"));
                }
                for name in ["array", "map", "string", "i64", "f64", "bool", "()"] {
                    conditions.push(format!("type_of({value}) {op} \"{name}\""));
                }
            }
        }
        // Joined by `&&` or `||`: atoms above two and three at a time, those answered without
        // Rhai (true and false) and any others, on each side.
        let answerable: Vec<String> = conditions
            .iter()
            .filter(|text| {
                Quick::parse(text)
                    .and_then(|q| q.answer(&bindings()))
                    .is_some()
            })
            .step_by(3)
            .cloned()
            .collect();
        let any: Vec<String> = conditions.iter().step_by(11).cloned().collect();
        for (i, a) in answerable.iter().enumerate() {
            for join in ["&&", "||"] {
                let b = &answerable[(i * 5 + 3) % answerable.len()];
                let c = &any[(i * 7 + 1) % any.len()];
                conditions.push(format!("{a} {join} {b}"));
                conditions.push(format!("{a}{join}{b} {join} {c}"));
                conditions.push(format!("{c} {join} {a}"));
            }
        }
        let (mut answered, mut joined) = (0, 0);
        for text in &conditions {
            // `vars.count<-3` is not Rhai (nor a condition validation lets through).
            let Ok(condition) = Condition::compile(&sandbox, text) else {
                continue;
            };
            let rhai = sandbox
                .eval_expression(&condition.ast, &mut bindings())
                .map(|value| truthy(&value));
            let quick = condition.quick.as_ref().and_then(|q| q.answer(&bindings()));
            if let Some(quick) = quick {
                answered += 1;
                joined += usize::from(text.contains("&&") || text.contains("||"));
                assert_eq!(Ok(quick), rhai.clone().map_err(|e| e.message), "{text}");
            }
            let holds = condition.holds(&sandbox, &mut bindings());
            assert_eq!(holds.ok(), quick.or(rhai.ok()), "{text}");
        }
        // The shapes authors write are answered without Rhai, so the test compares something.
        assert!(answered >= 400, "{answered} of {}", conditions.len());
        assert!(joined >= 300, "{joined} joined conditions answered");
        for text in [
            "type_of(vars.list) == \"array\" && vars.list.len() == 1",
            "vars.status == \"shipped\" || vars.count > 5",
            "vars.status.len() == 7",
            "type_of(vars.order) != \"map\"",
            "type_of(vars.missing) == \"array\" && vars.missing.len() == 1",
            "type_of(vars.order.missing) == \"()\"",
            "vars.status == \"shipped\"",
            "vars.count < 2",
            "vars.score >= 8.5",
            "vars.yes == true",
            "vars.yes",
            "vars.order.state != \"paid\"",
            "customer.vip == \"gold\"",
        ] {
            let quick = Quick::parse(text).and_then(|q| q.answer(&bindings()));
            assert!(quick.is_some(), "{text}");
        }
    }

    #[test]
    fn only_plain_shapes_are_answered_without_rhai() {
        for text in [
            "vars.status == \"a\" && vars.count > 1 || vars.yes",
            "(vars.status == \"a\") && vars.yes",
            "vars.status == \"a\\\"b\"",
            "vars.status < \"b\"",
            "vars.yes == true || false",
            "vars.count == 1e3",
            "vars.count + 1 > 2",
            "vars.list[0] == 1",
            "type_of(vars.count) < \"i64\"",
            "vars.list.len() == 1.0",
            "vars.list.len() + 1 == 2",
            "x == 1",
            "vars == 1",
        ] {
            assert!(Quick::parse(text).is_none(), "{text}");
        }
        for text in [
            "vars.a.b",
            "vars.a == \"x && y\" && vars.b",
            "vars.a || vars.b || vars.c",
            "vars.a == -2",
            "vars.a >= 0.5",
            "customer.vip != \"\"",
        ] {
            assert!(Quick::parse(text).is_some(), "{text}");
        }
    }
}
