//! The generated history of the history benchmark: deterministic chat text in English, Chinese
//! and Japanese, with words of known frequency so that search queries of every kind (common,
//! rare, phrase, CJK substring, one or two characters) have a predictable number of hits.

/// A small deterministic generator (64-bit LCG), so every run generates the same text.
pub struct Lcg(u64);

impl Lcg {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n` (0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True once in `n` draws on average.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The language of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English, now and then with a Chinese aside.
    English,
    /// Simplified Chinese, with English technical terms.
    Chinese,
    /// Japanese.
    Japanese,
}

impl Language {
    /// 60% English, 30% Chinese, 10% Japanese.
    pub fn pick(rng: &mut Lcg) -> Language {
        match rng.below(10) {
            0..=5 => Language::English,
            6..=8 => Language::Chinese,
            _ => Language::Japanese,
        }
    }
}

/// Words that are rare on purpose: an English sentence has a 1 in [`RARE_ODDS`] chance of one of
/// them, so each occurs in a few dozen messages of a million (26 and 30 for the two the search
/// benchmark looks for).
pub const RARE_ENGLISH: &[&str] = &["xylophone", "quokka", "zeppelin"];
/// The Chinese counterparts of [`RARE_ENGLISH`] (17 messages for the one searched for).
pub const RARE_CHINESE: &[&str] = &["量子纠缠", "敦煌壁画"];
/// Odds of a rare word per sentence.
pub const RARE_ODDS: usize = 20_000;

const TOPICS: &[&str] = &[
    "SQLite WAL checkpoints",
    "a Rust borrow checker error",
    "Svelte 5 runes",
    "the trip to Kyoto",
    "unit tests for the parser",
    "a cover letter",
    "Tokio cancellation",
    "CSS grid layout",
    "the quarterly report",
    "a bread recipe",
    "TLS certificate renewal",
    "regex for ISO dates",
    "the garden irrigation plan",
    "a birthday speech",
    "Kubernetes resource limits",
    "the thesis outline",
];

const CHINESE_TOPICS: &[&str] = &[
    "数据库性能优化",
    "全文搜索功能",
    "服务器配置",
    "旅行计划",
    "周报总结",
    "前端界面设计",
    "缓存策略",
    "学习计划",
];

const JAPANESE_TOPICS: &[&str] = &[
    "形態素解析",
    "東京旅行",
    "データベース設計",
    "日本語の文法",
    "エラーの調査",
];

const ENGLISH_WORDS: &[&str] = &[
    "the",
    "the",
    "the",
    "a",
    "a",
    "and",
    "to",
    "of",
    "in",
    "is",
    "it",
    "that",
    "for",
    "on",
    "with",
    "this",
    "you",
    "can",
    "be",
    "not",
    "stream",
    "reply",
    "buffer",
    "token",
    "render",
    "message",
    "quickly",
    "because",
    "each",
    "frame",
    "batch",
    "update",
    "markdown",
    "parser",
    "query",
    "index",
    "window",
    "latency",
    "simple",
    "careful",
    "value",
    "result",
    "error",
    "retry",
    "branch",
    "history",
    "search",
    "settings",
    "request",
    "response",
    "without",
    "before",
    "after",
    "then",
    "usually",
    "never",
    "always",
    "small",
    "large",
    "example",
    "function",
    "variable",
    "memory",
    "thread",
    "server",
    "client",
    "table",
    "column",
    "schema",
    "migration",
    "config",
    "option",
    "feature",
    "change",
    "review",
    "deploy",
    "test",
    "build",
    "release",
    "version",
    "document",
    "section",
    "paragraph",
    "outline",
    "budget",
    "report",
    "meeting",
    "schedule",
    "deadline",
    "travel",
    "hotel",
    "train",
    "recipe",
    "flour",
    "oven",
    "garden",
    "water",
    "weather",
    "morning",
    "evening",
    "friend",
    "family",
    "letter",
    "speech",
    "question",
    "answer",
    "reason",
    "problem",
    "solution",
    "idea",
    "detail",
    "summary",
    "important",
    "different",
    "possible",
    "likely",
    "exactly",
    "perhaps",
    "instead",
    "however",
    "café",
    "naïve",
];

const CHINESE_WORDS: &[&str] = &[
    "我们",
    "今天",
    "讨论",
    "数据库",
    "全文搜索",
    "功能",
    "性能",
    "优化",
    "服务器",
    "用户",
    "界面",
    "测试",
    "问题",
    "解决方案",
    "配置",
    "文件",
    "网络",
    "请求",
    "响应",
    "缓存",
    "内存",
    "线程",
    "异步",
    "编译",
    "错误",
    "日志",
    "索引",
    "查询",
    "结果",
    "版本",
    "发布",
    "计划",
    "时间",
    "可以",
    "需要",
    "应该",
    "如果",
    "因为",
    "所以",
    "但是",
    "然后",
    "已经",
    "非常",
    "比较",
    "简单",
    "复杂",
    "重要",
    "方法",
    "步骤",
    "例子",
    "说明",
    "代码",
    "模块",
    "接口",
    "数据",
    "系统",
    "设计",
    "实现",
    "运行",
    "分析",
    "报告",
    "会议",
    "旅行",
    "酒店",
    "火车",
    "天气",
    "朋友",
    "学习",
    "工作",
    "的",
    "的",
    "了",
    "是",
    "在",
    "和",
    "有",
    "这个",
    "一个",
];

const JAPANESE_WORDS: &[&str] = &[
    "日本語",
    "形態素解析",
    "データベース",
    "検索",
    "東京",
    "今日は",
    "設定",
    "ファイル",
    "エラー",
    "サーバー",
    "テスト",
    "問題",
    "説明",
    "確認",
    "必要",
    "場合",
    "方法",
    "結果",
    "時間",
    "旅行",
    "天気",
    "会議",
    "資料",
    "です",
    "ます",
    "でした",
    "を",
    "の",
    "に",
    "は",
    "が",
    "と",
    "で",
    "から",
    "まで",
    "について",
    "します",
    "しました",
    "ください",
];

/// A conversation's title and its messages' text, alternating user and assistant.
pub struct GeneratedConversation {
    /// The title.
    pub title: String,
    /// Message texts, user first.
    pub texts: Vec<String>,
}

/// Generates conversation number `index` with `messages` messages. Depends only on `rng`'s state,
/// so the whole history is the same on every run.
pub fn conversation(rng: &mut Lcg, index: usize, messages: usize) -> GeneratedConversation {
    let language = Language::pick(rng);
    let topic = match language {
        Language::English => rng.pick(TOPICS),
        Language::Chinese => rng.pick(CHINESE_TOPICS),
        Language::Japanese => rng.pick(JAPANESE_TOPICS),
    };
    let texts = (0..messages)
        .map(|m| {
            if m % 2 == 0 {
                user_text(rng, language, topic)
            } else {
                assistant_text(rng, language)
            }
        })
        .collect();
    GeneratedConversation {
        title: format!("{topic} #{}", index + 1),
        texts,
    }
}

fn english_sentence(rng: &mut Lcg) -> String {
    let n = 5 + rng.below(12);
    let mut words: Vec<String> = (0..n).map(|_| rng.pick(ENGLISH_WORDS).to_owned()).collect();
    if rng.one_in(RARE_ODDS) {
        let at = rng.below(words.len());
        words[at] = rng.pick(RARE_ENGLISH).to_owned();
    }
    if rng.one_in(5) {
        let at = rng.below(words.len());
        words[at] = format!("`{}`", words[at]);
    }
    let mut sentence = words.join(" ");
    if let Some(first) = sentence.get(..1) {
        sentence = first.to_uppercase() + &sentence[1..];
    }
    sentence.push('.');
    sentence
}

fn cjk_sentence(rng: &mut Lcg, words: &[&str], rare: &[&str]) -> String {
    let n = 4 + rng.below(9);
    let mut sentence: String = (0..n).map(|_| rng.pick(words)).collect();
    if !rare.is_empty() && rng.one_in(RARE_ODDS) {
        sentence.push_str(rng.pick(rare));
    }
    if rng.one_in(6) {
        sentence.push_str(" SQLite ");
        sentence.push_str(rng.pick(words));
    }
    sentence.push('。');
    sentence
}

fn sentence(rng: &mut Lcg, language: Language) -> String {
    match language {
        Language::English => english_sentence(rng),
        Language::Chinese => cjk_sentence(rng, CHINESE_WORDS, RARE_CHINESE),
        Language::Japanese => cjk_sentence(rng, JAPANESE_WORDS, &[]),
    }
}

fn paragraph(rng: &mut Lcg, language: Language) -> String {
    let n = 2 + rng.below(3);
    let separator = if language == Language::English {
        " "
    } else {
        ""
    };
    (0..n)
        .map(|_| sentence(rng, language))
        .collect::<Vec<_>>()
        .join(separator)
}

fn user_text(rng: &mut Lcg, language: Language, topic: &str) -> String {
    match (language, rng.below(3)) {
        (Language::English, 0) => {
            format!("Can you help me with {topic}? {}", sentence(rng, language))
        }
        (Language::English, 1) => format!("{} What about {topic}?", sentence(rng, language)),
        (Language::Chinese, 0) => format!("请帮我看看{topic}。{}", sentence(rng, language)),
        (Language::Japanese, 0) => {
            format!("{topic}について教えてください。{}", sentence(rng, language))
        }
        _ => sentence(rng, language),
    }
}

fn assistant_text(rng: &mut Lcg, language: Language) -> String {
    let mut parts = vec![paragraph(rng, language)];
    if rng.one_in(2) {
        let items = 2 + rng.below(3);
        parts.push(
            (0..items)
                .map(|_| format!("- {}", sentence(rng, language)))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if rng.one_in(6) {
        parts.push(format!(
            "```rust\nfn step(n: u64) -> u64 {{\n    n.wrapping_mul({}).rotate_left(7)\n}}\n```",
            rng.below(1000)
        ));
    }
    if language == Language::English && rng.one_in(40) {
        parts.push(format!("中文说明：{}", sentence(rng, Language::Chinese)));
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_generates_the_same_history() {
        let generate = || {
            let mut rng = Lcg::new(7);
            (0..20)
                .flat_map(|i| conversation(&mut rng, i, 4).texts)
                .collect::<Vec<_>>()
        };
        let first = generate();
        assert_eq!(first, generate());
        assert_eq!(first.len(), 80);
        assert!(first.iter().all(|text| !text.is_empty()));
    }

    #[test]
    fn all_three_languages_occur() {
        let mut rng = Lcg::new(1);
        let texts: String = (0..200)
            .flat_map(|i| conversation(&mut rng, i, 2).texts)
            .collect();
        assert!(texts.contains("the"));
        assert!(texts.contains("数据库"));
        assert!(texts.contains("です"));
    }
}
