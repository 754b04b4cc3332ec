//! A condition of a branch or a routing rule: a Rhai expression that holds unless it gives
//! false, `()`, zero or empty text.
//!
//! Most conditions authors write are a path compared with a literal (`vars.status ==
//! "shipped"`, `vars.not_found_count < 2`) or a path alone (`vars.want_agent`). Those are
//! answered by looking the path up, without Rhai, when the value found makes the answer
//! certain: a value of the literal's own type. Anything else — a missing key, a number
//! compared with text, an integer with a float — goes to Rhai, so the answer is always Rhai's.

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
    Holds(Path),
    Compare(Path, Op, Literal),
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
    /// `path`, or `path op literal` with a text in double quotes (no escapes), an integer, a
    /// float written with a point, `true` or `false`.
    fn parse(text: &str) -> Option<Quick> {
        let text = text.trim();
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(text.len());
        let path = Path::parse(&text[..end])?;
        let rest = text[end..].trim_start();
        if rest.is_empty() {
            return Some(Quick::Holds(path));
        }
        let (op, literal) = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find_map(|(symbol, op)| Some((op, rest.strip_prefix(symbol)?)))?;
        let literal = Literal::parse(literal.trim())?;
        // Text and true/false are only compared for (in)equality here; Rhai orders the rest.
        let ordered = matches!(literal, Literal::Int(_) | Literal::Float(_));
        (ordered || matches!(op, Op::Eq | Op::Ne)).then_some(Quick::Compare(path, op, literal))
    }

    /// The answer when the value at the path makes it certain; `None` sends it to Rhai.
    fn answer(&self, bindings: &Bindings) -> Option<bool> {
        match self {
            Quick::Holds(path) => path
                .visit(bindings, &mut |value| {
                    (!value.is_unit()).then(|| truthy(value))
                })
                .flatten(),
            Quick::Compare(path, op, literal) => path
                .visit(bindings, &mut |value| literal.compare(value, *op))
                .flatten(),
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
        Some(match op {
            Op::Eq => ordering.is_eq(),
            Op::Ne => ordering.is_ne(),
            Op::Lt => ordering.is_lt(),
            Op::Le => ordering.is_le(),
            Op::Gt => ordering.is_gt(),
            Op::Ge => ordering.is_ge(),
        })
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
            }
        }
        let mut answered = 0;
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
                assert_eq!(Ok(quick), rhai.clone().map_err(|e| e.message), "{text}");
            }
            let holds = condition.holds(&sandbox, &mut bindings());
            assert_eq!(holds.ok(), quick.or(rhai.ok()), "{text}");
        }
        // The shapes authors write are answered without Rhai, so the test compares something.
        assert!(answered >= 100, "{answered} of {}", conditions.len());
        for text in [
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
            "vars.status == \"a\" && vars.count > 1",
            "vars.status == \"a\\\"b\"",
            "vars.status < \"b\"",
            "vars.yes == true || false",
            "vars.count == 1e3",
            "vars.count + 1 > 2",
            "vars.list[0] == 1",
            "type_of(vars.count) == \"i64\"",
            "x == 1",
            "vars == 1",
        ] {
            assert!(Quick::parse(text).is_none(), "{text}");
        }
        for text in [
            "vars.a.b",
            "vars.a == -2",
            "vars.a >= 0.5",
            "customer.vip != \"\"",
        ] {
            assert!(Quick::parse(text).is_some(), "{text}");
        }
    }
}
