//! Text templates: literal text with `{{ expr }}` holes, evaluated in the sandbox.
//!
//! A hole holds one Rhai expression; `{{` opens it and the first `}}` outside the expression's
//! own braces and string literals closes it (`{{ #{a: 1}.a }}` works). A `}}` in literal text is
//! just text. Holes that are plain dotted paths from `vars`, `call`, `input`, `tenant` or
//! `customer` (`{{ vars.order_id }}`) are looked up directly, without Rhai; a missing key on
//! the way gives `()`.
//!
//! Values render as:
//! - a string as is, `()` as nothing, `true`/`false`, an integer as its digits;
//! - a float in its shortest form, without a trailing `.0` (`3.0` → `3`, `8.5` → `8.5`);
//! - a list as its elements' texts, leaving out empty ones, joined with `、` when any of them
//!   contains Chinese, Japanese or Korean characters and with `, ` otherwise;
//! - a map as compact JSON.

use std::fmt::Write;
use std::ops::Range;

use rhai::{Dynamic, AST};

use crate::messages::{term, Locale, Message};
use crate::path::Path;
use crate::script::{Bindings, Sandbox, ScriptError, SyntaxError};

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Segment {
    /// Literal text: a byte range of `source`.
    Text(Range<usize>),
    /// A hole that is a dotted path; `hole.ast` is used when the path runs into a value that
    /// is neither a map nor `()` (e.g. `vars.items.len`), so that Rhai decides.
    Path(Path, Box<Hole>),
    Expr(Box<Hole>),
}

#[derive(Debug, Clone)]
struct Hole {
    ast: AST,
    /// Where the `{{` is in the template (1-based).
    open: (u32, u32),
    /// Where the expression text (just after `{{`) starts in the template (1-based).
    start: (u32, u32),
}

/// A template syntax error, placed in the template's own text (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct TemplateError {
    pub message: String,
    /// The mistake for a flow author, worded from the catalogues.
    pub text: Message,
    pub line: u32,
    pub column: u32,
}

impl TemplateError {
    fn new(text: Message, line: u32, column: u32) -> TemplateError {
        TemplateError {
            message: text.render(Locale::English),
            text,
            line,
            column,
        }
    }
}

impl Template {
    pub fn parse(text: &str, sandbox: &Sandbox) -> Result<Template, TemplateError> {
        let mut segments = Vec::new();
        let mut cursor = Cursor::new(text);
        let mut rest = 0;
        while let Some(found) = text[rest..].find("{{") {
            let open = rest + found;
            if open > rest {
                segments.push(Segment::Text(rest..open));
            }
            let open_at = cursor.advance_to(open);
            let start = open + 2;
            let Some(len) = hole_length(&text[start..]) else {
                return Err(TemplateError::new(
                    term("template.not_closed"),
                    open_at.0,
                    open_at.1,
                ));
            };
            let expr = &text[start..start + len];
            if expr.trim().is_empty() {
                return Err(TemplateError::new(
                    term("template.empty"),
                    open_at.0,
                    open_at.1,
                ));
            }
            let start_at = cursor.advance_to(start);
            let ast = sandbox.compile_expression(expr).map_err(|e| {
                let (line, column) = place(&e, open_at, start_at);
                TemplateError::new(e.text, line, column)
            })?;
            let hole = Box::new(Hole {
                ast,
                open: open_at,
                start: start_at,
            });
            segments.push(match Path::parse(expr) {
                Some(path) => Segment::Path(path, hole),
                None => Segment::Expr(hole),
            });
            rest = start + len + 2;
        }
        if rest < text.len() {
            segments.push(Segment::Text(rest..text.len()));
        }
        Ok(Template {
            source: text.to_owned(),
            segments,
        })
    }

    /// The template's source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the template has no `{{ }}` holes.
    pub fn is_literal(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Text(_)))
    }

    /// Renders to text. Values format plainly: integers as digits, whole floats without `.0`,
    /// `()` as nothing, arrays joined with `、` … see the module tests.
    pub fn render(
        &self,
        sandbox: &Sandbox,
        bindings: &mut Bindings,
    ) -> Result<String, ScriptError> {
        if let [Segment::Text(range)] = self.segments.as_slice() {
            return Ok(self.source[range.clone()].to_owned());
        }
        let literal: usize = self
            .segments
            .iter()
            .map(|s| {
                if let Segment::Text(r) = s {
                    r.len()
                } else {
                    16
                }
            })
            .sum();
        let mut out = String::with_capacity(literal);
        for segment in &self.segments {
            match segment {
                Segment::Text(range) => out.push_str(&self.source[range.clone()]),
                Segment::Path(path, hole) => {
                    if path
                        .visit(bindings, &mut |value| render_value(value, &mut out))
                        .is_none()
                    {
                        render_value(&hole.eval(sandbox, bindings)?, &mut out);
                    }
                }
                Segment::Expr(hole) => render_value(&hole.eval(sandbox, bindings)?, &mut out),
            }
        }
        Ok(out)
    }

    /// Evaluates to a value: a template that is exactly one `{{ expr }}` keeps the expression's
    /// type; anything else renders to a string.
    pub fn evaluate(
        &self,
        sandbox: &Sandbox,
        bindings: &mut Bindings,
    ) -> Result<Dynamic, ScriptError> {
        match self.segments.as_slice() {
            [Segment::Path(path, hole)] => match path.visit(bindings, &mut Dynamic::clone) {
                Some(value) => Ok(value),
                None => hole.eval(sandbox, bindings),
            },
            [Segment::Expr(hole)] => hole.eval(sandbox, bindings),
            _ => self.render(sandbox, bindings).map(Dynamic::from),
        }
    }
}

impl Hole {
    fn eval(&self, sandbox: &Sandbox, bindings: &mut Bindings) -> Result<Dynamic, ScriptError> {
        sandbox
            .eval_expression(&self.ast, bindings)
            .map_err(|mut e| {
                (e.line, e.column) = place_at(e.line, e.column, self.open, self.start);
                e
            })
    }
}

/// The byte length of a hole's expression, up to (not including) its closing `}}`.
///
/// Braces and string literals inside the expression are skipped, so that `#{a: #{b: 1}}` and
/// `"}}"` do not end it early. If that finds no end (say, an unclosed quote), the first `}}`
/// is taken, and Rhai then reports what is wrong inside.
fn hole_length(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => match skip_literal(bytes, i + 1, quote) {
                Some(end) => i = end,
                None => break,
            },
            b'{' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    text.find("}}")
}

/// The index of the quote that closes a literal opened just before `from`.
fn skip_literal(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 1,
            b if b == quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Tracks line and column (in characters) while moving forward through the template.
struct Cursor<'a> {
    text: &'a str,
    byte: usize,
    line: u32,
    column: u32,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            text,
            byte: 0,
            line: 1,
            column: 1,
        }
    }

    fn advance_to(&mut self, byte: usize) -> (u32, u32) {
        for c in self.text[self.byte..byte].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte = byte;
        (self.line, self.column)
    }
}

fn place(error: &SyntaxError, open: (u32, u32), start: (u32, u32)) -> (u32, u32) {
    place_at(error.line, error.column, open, start)
}

/// Moves a position inside a hole's expression to the template's text.
fn place_at(line: u32, column: u32, open: (u32, u32), start: (u32, u32)) -> (u32, u32) {
    match line {
        0 => open,
        1 => (start.0, start.1 + column.max(1) - 1),
        _ => (start.0 + line - 1, column),
    }
}

/// Writes a value the way templates show it (see the module documentation).
pub fn render_value(value: &Dynamic, out: &mut String) {
    if value.is_shared() {
        return render_value(&value.flatten_clone(), out);
    }
    if value.is_unit() {
        return;
    }
    if let Ok(s) = value.as_immutable_string_ref() {
        out.push_str(&s);
    } else if let Ok(i) = value.as_int() {
        let _ = write!(out, "{i}");
    } else if let Ok(f) = value.as_float() {
        // Rust's `Display` already gives the shortest form that reads back the same, and no
        // `.0` for whole numbers; only `-0` needs help.
        let f = if f == 0.0 { 0.0 } else { f };
        let _ = write!(out, "{f}");
    } else if let Ok(b) = value.as_bool() {
        out.push_str(if b { "true" } else { "false" });
    } else if let Ok(c) = value.as_char() {
        out.push(c);
    } else if let Ok(items) = value.as_array_ref() {
        let texts: Vec<String> = items
            .iter()
            .map(|item| {
                let mut text = String::new();
                render_value(item, &mut text);
                text
            })
            .filter(|text| !text.is_empty())
            .collect();
        let separator = if texts.iter().any(|t| has_cjk(t)) {
            "、"
        } else {
            ", "
        };
        for (i, text) in texts.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(text);
        }
    } else if let Some(json) = value
        .is_map()
        .then(|| crate::value::to_json(value))
        .flatten()
    {
        let _ = write!(out, "{json}");
    } else {
        let _ = write!(out, "{value}");
    }
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c,
            '\u{3000}'..='\u{303F}'     // CJK punctuation
            | '\u{3040}'..='\u{30FF}'   // kana
            | '\u{3400}'..='\u{4DBF}'   // ideographs, extension A
            | '\u{4E00}'..='\u{9FFF}'   // ideographs
            | '\u{AC00}'..='\u{D7AF}'   // Hangul
            | '\u{F900}'..='\u{FAFF}'   // compatibility ideographs
            | '\u{FF00}'..='\u{FFEF}'   // full-width forms
            | '\u{20000}'..='\u{3134F}' // ideographs, extensions B–G
        )
    })
}

/// The flow variables a template's placeholders name (`vars.eta`, `vars["eta"]`), each once,
/// in order: read from the text, which is enough for validation's warnings.
pub fn variables_named(text: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let inside = &rest[open + 2..];
        let close = inside.find("}}").unwrap_or(inside.len());
        let expression = &inside[..close];
        for (at, _) in expression.match_indices("vars") {
            if expression[..at].chars().next_back().is_some_and(is_word) {
                continue;
            }
            let after = &expression[at + 4..];
            let name = if let Some(dotted) = after.strip_prefix('.') {
                let end = dotted.find(|c: char| !is_word(c)).unwrap_or(dotted.len());
                &dotted[..end]
            } else if let Some(quoted) = after.strip_prefix("[\"") {
                quoted.find('"').map_or("", |end| &quoted[..end])
            } else {
                ""
            };
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        rest = &inside[close.min(inside.len())..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Limits, ScriptErrorKind};
    use rhai::Map;
    use std::time::Duration;

    fn sandbox() -> Sandbox {
        Sandbox::new(Limits {
            deadline: Duration::from_secs(30),
            ..Limits::default()
        })
    }

    fn text(s: &str) -> Dynamic {
        Dynamic::from(s.to_owned())
    }

    fn bindings() -> Bindings {
        let mut b = Bindings::default();
        b.vars.insert("n".into(), Dynamic::from_int(41));
        b.vars.insert("price".into(), Dynamic::from_float(8.5));
        b.vars.insert("whole".into(), Dynamic::from_float(3.0));
        b.vars.insert("ok".into(), Dynamic::from_bool(true));
        b.vars.insert("none".into(), Dynamic::UNIT);
        b.vars.insert(
            "fruits".into(),
            Dynamic::from_array(vec![text("苹果"), text("香蕉")]),
        );
        b.vars.insert(
            "nums".into(),
            Dynamic::from_array(vec![Dynamic::from_int(1), Dynamic::from_int(2)]),
        );
        let mut order = Map::new();
        order.insert("id".into(), text("A123"));
        order.insert(
            "items".into(),
            Dynamic::from_array(vec![text("x"), text("y"), text("z")]),
        );
        b.vars.insert("order".into(), Dynamic::from_map(order));
        b.tenant.insert("name".into(), text("小蜜蜂"));
        b.call.insert("from".into(), text("13812345678"));
        b.input.insert("text".into(), text("查订单"));
        b.customer.insert("name".into(), text("张先生"));
        b
    }

    fn render(source: &str) -> String {
        let s = sandbox();
        let t = Template::parse(source, &s).expect("template should parse");
        let mut b = bindings();
        let out = t.render(&s, &mut b).expect("template should render");
        assert_eq!(
            b.vars.len(),
            bindings().vars.len(),
            "rendering must not change vars"
        );
        out
    }

    fn evaluate(source: &str) -> Dynamic {
        let s = sandbox();
        let t = Template::parse(source, &s).expect("template should parse");
        t.evaluate(&s, &mut bindings())
            .expect("template should evaluate")
    }

    fn parse_err(source: &str) -> TemplateError {
        Template::parse(source, &sandbox()).expect_err("template should not parse")
    }

    #[test]
    fn renders_chinese_text_and_paths() {
        assert_eq!(render("您好，{{ tenant.name }}！"), "您好，小蜜蜂！");
        assert_eq!(render("{{customer.name}}您好"), "张先生您好");
        assert_eq!(
            render("{{call.from}}/{{ input.text }}/{{vars.order.id}}"),
            "13812345678/查订单/A123"
        );
        assert_eq!(
            render("订单 {{ vars.order.id + \"-\" + vars.n }}"),
            "订单 A123-41"
        );
    }

    #[test]
    fn missing_paths_render_empty() {
        assert_eq!(render("[{{ vars.missing }}]"), "[]");
        assert_eq!(render("[{{ vars.missing.deeper.still }}]"), "[]");
        assert_eq!(render("[{{ vars.none.x }}]"), "[]");
        assert_eq!(render("[{{ tenant.nothing }}]"), "[]");
        assert_eq!(render("[{{ customer.vip_level }}]"), "[]");
        assert!(evaluate("{{ vars.missing.deeper }}").is_unit());
    }

    #[test]
    fn paths_into_other_values_are_left_to_rhai() {
        assert_eq!(render("{{ vars.order.items.len }}"), "3");
        let s = sandbox();
        let t = Template::parse("{{ vars.n.foo }}", &s).expect("parses");
        assert!(t.render(&s, &mut bindings()).is_err());
    }

    #[test]
    fn values_format_plainly() {
        assert_eq!(render("{{ vars.whole }}"), "3");
        assert_eq!(render("{{ vars.price }}"), "8.5");
        assert_eq!(render("{{ vars.price * 2 }}"), "17");
        assert_eq!(render("{{ 0.1 + 0.2 }}"), "0.30000000000000004");
        assert_eq!(render("{{ -0.0 }}"), "0");
        assert_eq!(render("{{ vars.n }}"), "41");
        assert_eq!(render("{{ -vars.n }}"), "-41");
        assert_eq!(render("{{ vars.ok }}/{{ !vars.ok }}"), "true/false");
        assert_eq!(render("<{{ vars.none }}>"), "<>");
        assert_eq!(render("{{ 'x' }}"), "x");
        assert_eq!(render("您想要{{ vars.fruits }}吗"), "您想要苹果、香蕉吗");
        assert_eq!(render("{{ vars.nums }}"), "1, 2");
        assert_eq!(render("{{ [\"a\", (), \"中\", 1.0] }}"), "a、中、1");
        assert_eq!(render("{{ [] }}"), "");
        assert_eq!(
            render("{{ #{b: 1, a: [true, ()], c: 2.5} }}"),
            r#"{"a":[true,null],"b":1,"c":2.5}"#
        );
        assert_eq!(
            render("{{ vars.order }}"),
            r#"{"id":"A123","items":["x","y","z"]}"#
        );
    }

    #[test]
    fn evaluate_keeps_the_type_of_a_lone_hole() {
        assert_eq!(evaluate("{{vars.n + 1}}").as_int(), Ok(42));
        assert_eq!(evaluate("{{ vars.n }}").as_int(), Ok(41));
        assert_eq!(evaluate("{{ vars.price }}").as_float(), Ok(8.5));
        assert_eq!(
            evaluate("{{ vars.nums }}").into_array().map(|a| a.len()),
            Ok(2)
        );
        assert!(evaluate("{{ vars.order }}").is_map());
        // Anything around the hole makes it text.
        assert_eq!(
            evaluate(" {{ vars.n }}").into_string(),
            Ok(" 41".to_owned())
        );
        assert_eq!(
            evaluate("{{ vars.n }}{{ vars.n }}").into_string(),
            Ok("4141".to_owned())
        );
        assert_eq!(evaluate("纯文本").into_string(), Ok("纯文本".to_owned()));
        assert_eq!(evaluate("").into_string(), Ok(String::new()));
    }

    #[test]
    fn literal_templates() {
        let s = sandbox();
        let t = Template::parse("没有变量 }} 的文本 { }", &s).expect("parses");
        assert!(t.is_literal());
        assert_eq!(t.source(), "没有变量 }} 的文本 { }");
        assert_eq!(
            t.render(&s, &mut Bindings::default()).expect("renders"),
            "没有变量 }} 的文本 { }"
        );
        assert!(!Template::parse("a {{ vars.n }}", &s)
            .expect("parses")
            .is_literal());
        assert!(Template::parse("", &s).expect("parses").is_literal());
    }

    #[test]
    fn braces_and_strings_inside_holes() {
        assert_eq!(render("{{ #{a: #{b: 1}}.a.b }}"), "1");
        assert_eq!(render("{{ \"}}\" + vars.n }}!"), "}}41!");
        assert_eq!(render("{{ `n=${vars.n}` }}"), "n=41");
        assert_eq!(render("{{ '}' }}"), "}");
        assert_eq!(render("a {{ vars.n }} b {{ vars.n + 1 }} c"), "a 41 b 42 c");
    }

    #[test]
    fn errors_point_into_the_template() {
        // Line 2: 您(1) 好(2) ，(3) {{(4, 5) space(6) vars.x + foo: foo at 16.
        let e = parse_err("第一行文本\n您好，{{ vars.x + foo }}。");
        assert!(e.message.contains("foo"), "{}", e.message);
        assert_eq!((e.line, e.column), (2, 16));
        assert_eq!(e.to_string(), format!("{} (line 2, column 16)", e.message));
        // An expression spanning lines.
        let e = parse_err("订单：{{ vars.x +\n  bar }}");
        assert_eq!((e.line, e.column), (2, 3));
        let e = parse_err("你好 {{ vars.x");
        assert_eq!(
            (e.line, e.column, e.message.contains("not closed")),
            (1, 4, true)
        );
        let e = parse_err("一\n二 {{  }} 三");
        assert_eq!(
            (e.line, e.column, e.message.contains("empty")),
            (2, 3, true)
        );
        let e = parse_err("{{}}");
        assert_eq!((e.line, e.column), (1, 1));
        let e = parse_err("价格 {{ vars.price * }}");
        assert_eq!(e.line, 1);
        assert!(e.column >= 6, "{e:?}");
        let e = parse_err("{{ \"abc }}");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn runtime_errors_point_into_the_template() {
        let s = sandbox();
        let t = Template::parse("第一行\n金额：{{ vars.n / 0 }}", &s).expect("parses");
        let e = t.render(&s, &mut bindings()).expect_err("division by zero");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(e.line, 2);
        // 金(1) 额(2) ：(3) {{(4, 5) space(6) vars.n(7..12) space(13) /(14)
        assert_eq!(e.column, 14, "{e:?}");
        let e = t
            .evaluate(&s, &mut bindings())
            .expect_err("division by zero");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn rendering_leaves_bindings_alone() {
        let s = sandbox();
        let t = Template::parse("{{ vars.n }} {{ vars.order.id }} {{ vars.n + 1 }}", &s)
            .expect("parses");
        let mut b = bindings();
        for _ in 0..3 {
            assert_eq!(t.render(&s, &mut b).expect("renders"), "41 A123 42");
        }
        assert_eq!(b.vars["n"].as_int(), Ok(41));
        assert_eq!(b.tenant["name"].to_string(), "小蜜蜂");
    }

    #[test]
    fn cjk_detection() {
        assert!(has_cjk("苹果"));
        assert!(has_cjk("カタカナ"));
        assert!(has_cjk("한국"));
        assert!(has_cjk("Ａ"));
        assert!(!has_cjk("apple, café"));
    }

    #[test]
    fn the_variables_a_template_names() {
        use super::variables_named;
        assert_eq!(
            variables_named(
                "您的订单{{vars.order_id}}预计{{ vars.eta ?? \"明天\" }}到，{{vars[\"eta\"]}}"
            ),
            ["order_id", "eta"]
        );
        assert_eq!(
            variables_named("{{myvars.x}} {{ call.from }} vars.y"),
            Vec::<&str>::new()
        );
        assert_eq!(
            variables_named("{{vars.a + vars.b_2}} {{vars"),
            ["a", "b_2"]
        );
    }
}
