//! Embeds the bundled YARA rules (rules/yara/**/*.yar) into the binary, so
//! that one `exhunt` file carries its rules wherever it is copied.

fn main() {
    exhunt_embed::embed_rules(
        "../../rules/yara",
        &["yar", "yara"],
        "BUNDLED_YARA",
        "(path under rules/yara, source text) of every bundled rule file.",
        "bundled_yara.rs",
    );
}
