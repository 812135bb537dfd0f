//! Everything that knows the engine underneath (rsigma 0.23): parsing a
//! file into documents, the rule fixes exhunt applies before compiling,
//! one compiled engine per rule logsource, and the view of an exhunt
//! [`Record`] as an rsigma [`Event`]. Swapping the engine means rewriting
//! this file only; `lib.rs` speaks exhunt's types.

use crate::RuleMeta;
use exhunt_core::{LogSource, Record};
use rsigma_eval::{compile_rule, CompiledRule, Engine, Event, EventValue};
use rsigma_parser::{
    parse_sigma_yaml, ConditionExpr, Detection, Detections, FilterRule, FilterRuleTarget, Modifier,
    SelectorPattern, SigmaRule,
};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

/// The custom attribute each compiled rule carries with its index in the
/// rule set: rsigma reports matches by title and id only, and neither is
/// unique across files.
pub(crate) const INDEX_KEY: &str = "exhunt.rule_index";

/// A detection rule that parsed and compiled.
pub(crate) struct PreparedRule {
    /// Everything but `origin`, which the caller knows.
    pub meta: RuleMeta,
    /// The rule's own `id`, if it has one (`meta.id` falls back to the title).
    pub rule_id: Option<String>,
    /// The fields of each detection the condition negates: a record must
    /// hold one field of each for a match to be trusted.
    pub negated: Vec<Vec<String>>,
    compiled: CompiledRule,
}

/// A Sigma filter document (it adds exclusions to rules named by id or title).
pub(crate) struct PreparedFilter {
    pub title: String,
    pub id: Option<String>,
    pub targets: Option<Vec<String>>,
    rule: FilterRule,
}

/// One document of a rule file, as far as the engine could take it.
pub(crate) enum Doc {
    Rule(Box<PreparedRule>),
    Filter(Box<PreparedFilter>),
    /// Parsed, but not something exhunt can evaluate.
    Unsupported {
        title: Option<String>,
        id: Option<String>,
        reason: String,
    },
}

/// What one file (or YAML text) gave.
pub(crate) struct ParsedFile {
    pub docs: Vec<Doc>,
    /// Parser messages that belong to no document that came out, each the
    /// reason one document was lost.
    pub lost: Vec<String>,
    /// Parser messages about documents that did come out (an invalid `date`,
    /// a malformed `related` entry): the rule loads, the message is kept.
    pub warnings: Vec<String>,
}

/// Parses every document of `text`. Never panics on bad input; whatever
/// cannot be loaded comes back with its reason.
pub(crate) fn parse_file(text: &str) -> ParsedFile {
    let (expected, empty) = count_documents(text);
    let collection = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            // Only a failed `action: global` merge fails the whole file.
            return ParsedFile {
                docs: Vec::new(),
                lost: vec![e.to_string()],
                warnings: Vec::new(),
            };
        }
    };
    let produced = collection.len();
    let mut errors = collection.errors;
    // An empty document (a file of comments, a trailing `---`) is not a
    // lost rule, but the parser calls it "not a YAML mapping".
    for _ in 0..empty {
        if let Some(i) = errors.iter().position(|e| e == NOT_A_MAPPING) {
            errors.remove(i);
        }
    }
    let mut docs = Vec::with_capacity(produced);
    for rule in collection.rules {
        docs.push(prepare_rule(rule));
    }
    for corr in collection.correlations {
        docs.push(Doc::Unsupported {
            title: Some(corr.title.clone()),
            id: corr.id.clone(),
            reason: format!(
                "correlation rule ({}) not supported: exhunt evaluates records one at a time",
                corr.correlation_type.as_str()
            ),
        });
    }
    for filter in collection.filters {
        docs.push(prepare_filter(filter));
    }
    // The parser keeps its messages in one list, warnings and errors
    // alike, without saying which document each is about. Counting the
    // file's documents tells them apart: when every document came out, the
    // messages were warnings; otherwise they are why the others did not.
    let (lost, warnings) = if produced >= expected {
        (Vec::new(), errors)
    } else if errors.is_empty() {
        (
            vec!["document not recognised as a Sigma rule, correlation or filter".to_string()],
            Vec::new(),
        )
    } else if errors.len() == expected - produced {
        (errors, Vec::new())
    } else {
        (vec![errors.join("; ")], Vec::new())
    };
    ParsedFile {
        docs,
        lost,
        warnings,
    }
}

/// What rsigma's parser says of a document that is not a mapping.
const NOT_A_MAPPING: &str = "Document is not a YAML mapping";

/// Counts the documents the Sigma parser turns into a rule, correlation or
/// filter (or into an error): every YAML document except `action:
/// global/reset` and empty ones, which come back as the second number.
fn count_documents(text: &str) -> (usize, usize) {
    use serde::Deserialize as _;
    let (mut n, mut empty) = (0, 0);
    for doc in yaml_serde::Deserializer::from_str(text) {
        match yaml_serde::Value::deserialize(doc) {
            Ok(yaml_serde::Value::Null) => empty += 1,
            Ok(v) => {
                let action = v
                    .as_mapping()
                    .and_then(|m| m.get(yaml_serde::Value::String("action".into())))
                    .and_then(|a| a.as_str().map(str::to_string));
                match action.as_deref() {
                    Some("global") | Some("reset") => {}
                    _ => n += 1,
                }
            }
            Err(_) => {
                // The parser stops at a YAML error too, reporting it once.
                n += 1;
                break;
            }
        }
    }
    (n, empty)
}

fn prepare_rule(mut rule: SigmaRule) -> Doc {
    let title = rule.title.clone();
    let id = rule.id.clone();
    if let Some(why) = unsupported_detections(&rule.detection) {
        return Doc::Unsupported {
            title: Some(title),
            id,
            reason: why,
        };
    }
    fix_keywords(&mut rule.detection);
    let negated = negated_fields(&rule.detection);
    match compile_rule(&rule) {
        Ok(compiled) => {
            let custom = compiled
                .custom_attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Doc::Rule(Box::new(PreparedRule {
                meta: RuleMeta {
                    id: id.clone().unwrap_or_else(|| title.clone()),
                    title,
                    level: rule.level.map(|l| l.as_str().to_string()),
                    status: rule.status.map(|s| format!("{s:?}").to_ascii_lowercase()),
                    description: rule.description,
                    references: rule.references,
                    tags: rule.tags,
                    falsepositives: rule.falsepositives,
                    logsource: LogSource {
                        category: rule.logsource.category,
                        product: rule.logsource.product,
                        service: rule.logsource.service,
                    },
                    origin: String::new(),
                    custom,
                },
                rule_id: id,
                negated,
                compiled,
            }))
        }
        Err(e) => Doc::Unsupported {
            title: Some(title),
            id,
            reason: format!("does not compile: {e}"),
        },
    }
}

fn prepare_filter(mut filter: FilterRule) -> Doc {
    if let Some(why) = unsupported_detections(&filter.detection) {
        return Doc::Unsupported {
            title: Some(filter.title),
            id: filter.id,
            reason: why,
        };
    }
    fix_keywords(&mut filter.detection);
    let targets = match &filter.rules {
        FilterRuleTarget::Any => None,
        FilterRuleTarget::Specific(v) => Some(v.clone()),
    };
    Doc::Filter(Box::new(PreparedFilter {
        title: filter.title.clone(),
        id: filter.id.clone(),
        targets,
        rule: filter,
    }))
}

/// The field names of every detection that the rule's condition negates
/// (`not filter`, `not 1 of filter_*`), one list per detection; detections
/// without a named field (keywords) are left out.
fn negated_fields(d: &Detections) -> Vec<Vec<String>> {
    fn names(det: &Detection, out: &mut Vec<String>) {
        match det {
            Detection::AllOf(items) => {
                for it in items {
                    if let Some(n) = &it.field.name {
                        out.push(n.clone());
                    }
                }
            }
            Detection::AnyOf(v) | Detection::And(v) => v.iter().for_each(|x| names(x, out)),
            Detection::Keywords(_) => {}
            Detection::ArrayMatch { field, .. } => out.push(field.clone()),
            Detection::Conditional { named, .. } => named.values().for_each(|x| names(x, out)),
        }
    }
    fn glob(p: &str, s: &str) -> bool {
        match p.split_once('*') {
            None => p.eq_ignore_ascii_case(s),
            Some((head, rest)) => {
                s.get(..head.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(head))
                    && (0..=s.len() - head.len()).any(|i| {
                        s.is_char_boundary(head.len() + i) && glob(rest, &s[head.len() + i..])
                    })
            }
        }
    }
    fn walk(c: &ConditionExpr, neg: bool, d: &Detections, out: &mut Vec<String>) {
        match c {
            ConditionExpr::And(v) | ConditionExpr::Or(v) => {
                v.iter().for_each(|x| walk(x, neg, d, out))
            }
            ConditionExpr::Not(x) => walk(x, !neg, d, out),
            ConditionExpr::Identifier(id) if neg => out.push(id.clone()),
            ConditionExpr::Selector { pattern, .. } if neg => {
                for k in d.named.keys() {
                    let hit = match pattern {
                        SelectorPattern::Them => !k.starts_with('_'),
                        SelectorPattern::Pattern(p) => glob(p, k),
                    };
                    if hit {
                        out.push(k.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let mut ids = Vec::new();
    for c in &d.conditions {
        walk(c, false, d, &mut ids);
    }
    ids.sort();
    ids.dedup();
    ids.iter()
        .filter_map(|id| {
            let mut f = Vec::new();
            names(d.named.get(id)?, &mut f);
            f.sort();
            f.dedup();
            (!f.is_empty()).then_some(f)
        })
        .collect()
}

/// Sigma features that rsigma accepts but that would make a rule silently
/// wrong in exhunt.
fn unsupported_detections(d: &Detections) -> Option<String> {
    fn walk(d: &Detection) -> Option<String> {
        match d {
            Detection::AllOf(items) => items.iter().find_map(|it| {
                it.field.has_modifier(Modifier::Expand).then(|| {
                    // `|expand` values are placeholders (`%DomainControllers%`)
                    // that a processing pipeline fills in; without one the
                    // rule would compare against the placeholder's name.
                    "uses |expand placeholders, which need a processing pipeline to define them"
                        .to_string()
                })
            }),
            Detection::AnyOf(v) | Detection::And(v) => v.iter().find_map(walk),
            Detection::Keywords(_) => None,
            Detection::ArrayMatch { body, .. } => walk(body),
            Detection::Conditional { named, .. } => named.values().find_map(walk),
        }
    }
    d.named.values().find_map(walk)
}

/// Gives keyword items of a mapping (`'|all': [..]`, `'|contains': ..`)
/// Sigma's full-text meaning. rsigma 0.23 compiles a field-less item as an
/// exact match of one whole value, and `'|all'` as all values inside that
/// one value; SigmaHQ's MSExchange Management and IIS rules mean "each
/// keyword occurs somewhere in the event" (`web_cve_2021_26858_iis_rce`
/// lists `POST`, `200` and a path, which sit in three different fields).
/// Plain keyword lists (`- 'eval(request'`) are already substring searches.
fn fix_keywords(d: &mut Detections) {
    fn walk(d: &mut Detection) {
        match d {
            Detection::AllOf(items) => {
                let mut out = Vec::with_capacity(items.len());
                for mut item in items.drain(..) {
                    if item.field.name.is_some() {
                        out.push(item);
                        continue;
                    }
                    let has_match_kind = item.field.modifiers.iter().any(|m| {
                        matches!(
                            m,
                            Modifier::Contains
                                | Modifier::StartsWith
                                | Modifier::EndsWith
                                | Modifier::Re
                                | Modifier::Cidr
                                | Modifier::Base64Offset
                                | Modifier::Exists
                                | Modifier::FieldRef
                                | Modifier::Gt
                                | Modifier::Gte
                                | Modifier::Lt
                                | Modifier::Lte
                        )
                    });
                    if !has_match_kind {
                        item.field.modifiers.push(Modifier::Contains);
                    }
                    if item.field.has_modifier(Modifier::All) && item.values.len() > 1 {
                        item.field.modifiers.retain(|m| *m != Modifier::All);
                        for v in std::mem::take(&mut item.values) {
                            let mut one = item.clone();
                            one.values = vec![v];
                            out.push(one);
                        }
                    } else {
                        out.push(item);
                    }
                }
                *items = out;
            }
            Detection::AnyOf(v) | Detection::And(v) => v.iter_mut().for_each(walk),
            Detection::Keywords(_) => {}
            Detection::ArrayMatch { body, .. } => walk(body),
            Detection::Conditional { named, .. } => named.values_mut().for_each(walk),
        }
    }
    d.named.values_mut().for_each(walk);
}

/// The compiled rules of one rule logsource, with rsigma's candidate index
/// over them (it skips rules none of whose literals or values occur).
pub(crate) struct GroupEngine {
    engine: Engine,
}

impl GroupEngine {
    /// `rules` are (index in the rule set, rule).
    pub fn new(rules: Vec<(usize, &PreparedRule)>) -> Self {
        // Rules are compiled once when read (so that errors are reported
        // with their file); the engine only indexes them.
        let mut engine = Engine::new();
        engine.extend_compiled_rules(rules.into_iter().map(|(i, r)| {
            let mut c = r.compiled.clone();
            Arc::make_mut(&mut c.custom_attributes).insert(INDEX_KEY.to_string(), Json::from(i));
            c
        }));
        GroupEngine { engine }
    }

    /// Applies a filter; returns how many of this engine's rules it reached.
    pub fn apply_filter(&mut self, f: &PreparedFilter) -> Result<usize, FilterError> {
        // rsigma adds the filter's detections (named `__filter_N_...`) to
        // each rule it reaches and does not say which; count them.
        let counts = |e: &Engine| -> Vec<usize> {
            e.rules()
                .iter()
                .map(|r| {
                    r.detections
                        .keys()
                        .filter(|k| k.starts_with("__filter_"))
                        .count()
                })
                .collect()
        };
        let before = counts(&self.engine);
        self.engine.apply_filter(&f.rule)?;
        let after = counts(&self.engine);
        Ok(before.iter().zip(&after).filter(|(b, a)| a > b).count())
    }

    /// Calls `hit` with the rule-set index of every rule matching `ev`.
    pub fn eval(&self, ev: &RecordEvent<'_>, hit: &mut dyn FnMut(usize)) {
        for m in self.engine.evaluate(ev) {
            if let Some(i) = m
                .header
                .custom_attributes
                .get(INDEX_KEY)
                .and_then(Json::as_u64)
            {
                hit(i as usize);
            }
        }
    }

    /// Every rule, without the candidate index: the reference the tests
    /// compare the indexed evaluation with.
    #[cfg(test)]
    pub fn eval_all(&self, ev: &RecordEvent<'_>, hit: &mut dyn FnMut(usize)) {
        for r in self.engine.rules() {
            if rsigma_eval::evaluate_rule(r, ev).is_some() {
                if let Some(i) = r.custom_attributes.get(INDEX_KEY).and_then(Json::as_u64) {
                    hit(i as usize);
                }
            }
        }
    }
}

/// Why the engine refused a filter. The message is the engine's own; the
/// type keeps rsigma's error out of `lib.rs`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct FilterError(#[from] rsigma_eval::EvalError);

/// A Sigma field name looked up under other record field names (see
/// [`crate::FieldAlias`]), for one logsource.
pub(crate) struct ActiveAlias {
    pub field: String,
    pub from: Vec<String>,
}

/// An exhunt record seen as an rsigma event, without copying it: field
/// values are borrowed from the record.
pub(crate) struct RecordEvent<'a> {
    pub rec: &'a dyn Record,
    pub aliases: &'a [ActiveAlias],
}

impl RecordEvent<'_> {
    /// The first negated detection of which `ev` holds no field, as its
    /// field list; `None` when every negated detection can be checked.
    pub fn unseen<'r>(&self, negated: &'r [Vec<String>]) -> Option<&'r [String]> {
        negated
            .iter()
            .find(|fields| fields.iter().all(|f| self.get_field(f).is_none()))
            .map(Vec::as_slice)
    }

    /// Calls `f` on every value a keyword search looks at: every field, or,
    /// for a record that lists none, its raw text.
    fn each_text(&self, f: &mut dyn FnMut(&str)) {
        let mut listed = false;
        self.rec.for_each_field(&mut |_, v| {
            listed = true;
            f(v);
        });
        if !listed {
            f(&String::from_utf8_lossy(self.rec.raw()));
        }
    }
}

impl Event for RecordEvent<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if let Some(a) = self
            .aliases
            .iter()
            .find(|a| a.field.eq_ignore_ascii_case(path))
        {
            let mut vals: Vec<EventValue<'_>> = a
                .from
                .iter()
                .filter_map(|n| self.rec.field(n))
                .map(|v| EventValue::Str(Cow::Borrowed(v)))
                .collect();
            return match vals.len() {
                0 => None,
                1 => vals.pop(),
                // Several names: string matchers try each (rsigma's array
                // semantics), so an exact match on one still works.
                _ => Some(EventValue::Array(vals)),
            };
        }
        self.rec
            .field(path)
            .map(|v| EventValue::Str(Cow::Borrowed(v)))
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        // `for_each_field` cannot stop early; skip the work after a hit.
        let hit = Cell::new(false);
        self.each_text(&mut |v| {
            if !hit.get() && pred(v) {
                hit.set(true);
            }
        });
        hit.get()
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        self.each_text(&mut |v| out.push(Cow::Owned(v.to_string())));
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.each_text(visit);
    }

    fn to_json(&self) -> Json {
        let mut map = serde_json::Map::new();
        self.rec.for_each_field(&mut |k, v| {
            map.insert(k.to_string(), Json::String(v.to_string()));
        });
        Json::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_counted_like_the_parser_sees_them() {
        assert_eq!(count_documents("title: a\n"), (1, 0));
        assert_eq!(count_documents("title: a\n---\ntitle: b\n"), (2, 0));
        assert_eq!(
            count_documents("action: global\nlogsource: {product: windows}\n---\ntitle: b\n"),
            (1, 0)
        );
        assert_eq!(count_documents("title: [unclosed\n"), (1, 0));
        assert_eq!(count_documents(""), (0, 1));
        assert_eq!(count_documents("# c\n"), (0, 1));
        assert_eq!(count_documents("title: a\n---\n"), (1, 1));
    }
}
