"""Benchmark: Whoosh search (``marketplace.search``) against SQLite FTS5 on the same jieba tokens.

Run with ``python bench/search.py --docs 100000``. Generates N synthetic Chinese listings
(titles and abstracts in the Changchun New Area's industries: automotive, optoelectronics,
biomedicine, new materials, agriculture and seed breeding, equipment, big data) with IPC codes,
prices and legal statuses; indexes them with the project's search engine and, from the very
same analysed token streams, into an FTS5 table; then runs one fixed mix of about 200 queries
(single terms, two terms, quoted phrases, IPC- and status-filtered, sorted by price) on both.

Both sides answer the same question per query: the first page (20 hits) in the requested
order plus the total number of matches, relevance ranked by BM25 with the title weighted twice.
The Whoosh side is the engine's ``search()`` as the web page calls it, so its time also covers
the facet counts and the highlighted snippets, which the FTS5 side does not compute; and a word
also matches inside indexed compounds there (电池 in 动力电池), so its result sets are, if
anything, larger. Each query is timed as the best of three runs after one warm-up pass over the
whole mix on both sides; the engines alternate query by query, so a busy machine slows both
alike. Prints index time (jieba included on both sides), index size, p50 and p95 latency of
each, checks that every phrase query returns the same documents on both, and ends with the line
``RESULT docs=N whoosh_p95_ms=… fts5_p95_ms=… ratio=…``. Benchmarks are never run as tests.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from marketplace.search.analysis import tokens  # noqa: E402
from marketplace.search.engine import SearchDocument, SearchQuery  # noqa: E402
from marketplace.search.whoosh_engine import WhooshEngine  # noqa: E402

SEED = 20240611
PER_PAGE = 20
#: Placeholder token for a punctuation gap in the FTS5 text: one position, never queried.
GAP = "qqgap"


@dataclass(frozen=True)
class Industry:
    name: str
    ipc: tuple[str, ...]
    subjects: tuple[str, ...]  # what the invention is
    techniques: tuple[str, ...]  # what it is based on
    parts: tuple[str, ...]  # what it comprises
    effects: tuple[str, ...]  # what it improves
    problems: tuple[str, ...]  # what it solves


INDUSTRIES = (
    Industry(
        "automotive",
        ("B60L 58/26", "H01M 10/613", "H01M 10/052", "B60W 30/09", "G01S 17/931", "B62D 6/00"),
        (
            "动力电池热管理系统",
            "电池包冷却板",
            "线控转向系统",
            "轮毂电机驱动总成",
            "车载激光雷达",
            "域控制器",
            "燃料电池发动机",
            "一体化压铸后地板",
            "自动驾驶决策装置",
            "智能座舱交互系统",
            "毫米波雷达天线",
            "固态电池电解质",
            "充电桩功率模块",
            "线控制动执行器",
        ),
        (
            "模型预测控制",
            "液冷循环",
            "相变材料",
            "深度学习",
            "多传感器融合",
            "磷酸铁锂",
            "碳化硅功率器件",
            "点云分割",
            "车联网通信",
            "热泵空调",
        ),
        (
            "电芯模组",
            "冷却液流道",
            "温度传感器",
            "电池管理系统",
            "转向电机",
            "减速机构",
            "控制单元",
            "激光发射模块",
            "接收透镜",
            "铝合金壳体",
            "高压连接器",
            "散热翅片",
        ),
        (
            "续航里程",
            "低温充电性能",
            "电芯温度一致性",
            "转向响应速度",
            "探测距离",
            "整车轻量化",
            "制动安全性",
            "能量回收效率",
        ),
        ("电池热失控", "低温衰减", "制动迟滞", "点云噪声", "车身重量过大", "充电效率低"),
    ),
    Industry(
        "optoelectronics",
        ("G02B 27/01", "G02B 6/12", "H01S 5/024", "G01J 3/28", "H01L 31/0352", "G03F 7/20"),
        (
            "衍射光波导",
            "半导体激光器",
            "红外探测器",
            "光谱仪",
            "自由曲面光学镜头",
            "超表面透镜",
            "空间光学遥感相机",
            "光纤激光器",
            "量子点发光器件",
            "钙钛矿太阳能电池",
            "光刻机物镜",
            "图像传感器",
        ),
        (
            "纳米压印",
            "全息光栅",
            "自适应光学",
            "波前校正",
            "外延生长",
            "微纳光学加工",
            "离子束刻蚀",
            "光学相干层析",
        ),
        (
            "耦入光栅",
            "耦出光栅",
            "谐振腔",
            "反射镜",
            "分光棱镜",
            "探测器阵列",
            "准直透镜",
            "热沉",
            "镀膜层",
            "读出电路",
        ),
        ("视场角", "光效率", "光束质量", "探测灵敏度", "光谱分辨率", "成像质量", "输出功率"),
        ("彩虹效应", "散热不良", "像差过大", "暗电流偏高", "杂散光干扰"),
    ),
    Industry(
        "biomedicine",
        ("C07K 16/28", "A61K 39/395", "A61K 36/258", "C12N 15/113", "A61P 35/00", "G01N 33/574"),
        (
            "双特异性抗体",
            "单克隆抗体",
            "重组蛋白疫苗",
            "长效生长激素",
            "人参皂苷制剂",
            "抗体偶联药物",
            "核酸检测试剂盒",
            "干细胞培养基",
            "缓释制剂",
            "体外诊断试剂",
            "基因治疗载体",
        ),
        (
            "哺乳动物细胞表达",
            "亲和层析纯化",
            "聚乙二醇修饰",
            "脂质纳米颗粒",
            "中药提取",
            "基因编辑",
            "微流控芯片",
            "荧光定量PCR",
        ),
        (
            "重链可变区",
            "轻链可变区",
            "佐剂",
            "冻干保护剂",
            "引物探针组",
            "细胞因子",
            "缓冲液",
            "包被抗原",
        ),
        ("药物半衰期", "免疫原性", "检测灵敏度", "生物利用度", "批间稳定性", "肿瘤抑制率"),
        ("注射频次高", "表达量低", "假阳性率高", "稳定性差", "不良反应多"),
    ),
    Industry(
        "new_materials",
        ("D01F 9/12", "C08L 67/04", "C22C 23/02", "C01B 32/184", "C04B 35/80", "C09D 5/08"),
        (
            "碳纤维复合材料",
            "玄武岩纤维",
            "聚乳酸薄膜",
            "可降解塑料",
            "石墨烯导热膜",
            "聚酰亚胺薄膜",
            "镁合金型材",
            "陶瓷基复合材料",
            "防腐涂层",
            "稀土发光材料",
            "高分子材料",
        ),
        ("熔融纺丝", "原位聚合", "化学气相沉积", "热压成型", "溶胶凝胶", "等离子喷涂", "挤出吹塑"),
        ("增强纤维", "树脂基体", "偶联剂", "增塑剂", "纳米填料", "稀土元素", "固化剂"),
        ("拉伸强度", "导热系数", "降解速率", "耐腐蚀性能", "断裂韧性", "耐高温性能"),
        ("界面结合力弱", "成本过高", "脆性大", "降解周期长", "易氧化"),
    ),
    Industry(
        "agriculture",
        ("A01H 1/02", "A01H 6/46", "C12Q 1/6895", "A01B 79/02", "A01C 7/20", "A01G 22/20"),
        (
            "玉米育种方法",
            "单倍体诱导系",
            "大豆品种",
            "水稻品种",
            "玉米杂交种",
            "分子标记引物组",
            "秸秆还田机具",
            "保护性耕作播种机",
            "耐盐碱水稻",
            "双单倍体育种体系",
        ),
        (
            "单倍体诱导",
            "分子标记辅助选择",
            "基因编辑",
            "全基因组选择",
            "种质资源创新",
            "高通量表型鉴定",
            "黑土地保护",
        ),
        ("诱导系", "供体亲本", "SNP标记", "播种单元", "深松铲", "排种器", "秸秆粉碎装置"),
        ("单倍体诱导率", "抗倒伏能力", "籽粒产量", "出苗整齐度", "耐盐碱能力", "育种周期"),
        ("育种周期长", "诱导率低", "倒伏减产", "播种质量差", "土壤板结"),
    ),
    Industry(
        "equipment",
        ("B23Q 11/00", "B25J 9/16", "B61F 5/02", "B22F 10/28", "G05B 19/418", "F16H 1/32"),
        (
            "数控机床主轴",
            "工业机器人",
            "轨道客车转向架",
            "增材制造装置",
            "精密减速器",
            "伺服电机",
            "机器视觉检测系统",
            "数字孪生产线",
            "智能制造执行系统",
            "焊接机器人",
        ),
        ("热误差补偿", "激光熔覆", "视觉定位", "数字孪生", "工业互联网", "振动抑制", "轨迹规划"),
        ("主轴箱", "导轨", "谐波减速器", "编码器", "构架", "空气弹簧", "激光熔覆头", "工业相机"),
        ("加工精度", "定位精度", "运行平稳性", "生产节拍", "设备利用率", "疲劳寿命"),
        ("热变形误差", "振动噪声大", "定位偏差", "维护成本高", "良品率低"),
    ),
    Industry(
        "big_data",
        ("G06F 16/36", "G06N 20/00", "G06N 3/08", "H04L 9/00", "G06Q 50/18", "G06F 21/62"),
        (
            "知识图谱构建方法",
            "联邦学习系统",
            "专利检索方法",
            "区块链存证平台",
            "隐私计算装置",
            "边缘计算网关",
            "大模型问答系统",
            "数据中台",
            "自然语言处理模型",
            "云计算调度系统",
        ),
        (
            "联邦学习",
            "知识图谱",
            "深度学习",
            "神经网络",
            "区块链",
            "同态加密",
            "图神经网络",
            "自然语言处理",
        ),
        (
            "实体抽取模块",
            "关系推理模块",
            "参数服务器",
            "加密模块",
            "智能合约",
            "索引服务",
            "向量数据库",
        ),
        ("检索准确率", "推理速度", "数据安全性", "模型收敛速度", "系统吞吐量", "存储成本"),
        ("数据孤岛", "隐私泄露", "检索效率低", "算力不足", "标注成本高"),
    ),
)

REGIONS = ("长春新区", "长春市朝阳区", "长春市南关区", "吉林市", "四平市", "松原市", "延吉市")
STATUSES = ("in_force", "in_force", "in_force", "pending", "grace_period")
KINDS = ("invention", "invention", "utility_model", "design", "pct_invention")
DEALS = ("assignment", "exclusive", "sole", "non_exclusive", "open_licence")


def generate_documents(count: int, seed: int = SEED) -> Iterator[SearchDocument]:
    """``count`` realistic listings, the same for the same seed."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for doc_id in range(1, count + 1):
        ind = rng.choice(INDUSTRIES)
        subject = rng.choice(ind.subjects)
        technique = rng.choice(ind.techniques)
        parts = rng.sample(ind.parts, 3)
        effects = rng.sample(ind.effects, 2)
        problem = rng.choice(ind.problems)
        pattern = rng.randrange(4)
        if pattern == 0:
            title = f"一种基于{technique}的{subject}"
        elif pattern == 1:
            title = f"{subject}及其制备方法"
        elif pattern == 2:
            title = f"一种{subject}的控制方法和装置"
        else:
            title = f"用于{rng.choice(ind.subjects)}的{subject}"
        body = (
            f"本发明公开了一种{subject}，包括{parts[0]}、{parts[1]}和{parts[2]}。"
            f"所述{parts[0]}采用{technique}，与{parts[1]}相连。"
            f"本发明解决了现有技术中{problem}的问题，提高了{effects[0]}和{effects[1]}，"
            f"适用于{rng.choice(REGIONS)}的{ind.name}产业化应用。"
        )
        ipc = tuple(sorted(set(rng.sample(ind.ipc, rng.choice((1, 1, 2))))))
        price = None if rng.random() < 0.2 else rng.randrange(50_000, 5_000_000) * 100
        yield SearchDocument(
            doc_type="listing",
            doc_id=doc_id,
            title=title,
            body=body,
            ipc=ipc,
            kinds=(rng.choice(KINDS),),
            deal_type=rng.choice(DEALS),
            status=rng.choice(STATUSES),
            region=rng.choice(REGIONS),
            industry=ind.name,
            price=price,
            created_at=start + timedelta(minutes=doc_id * 5 + rng.randrange(5)),
        )


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    text: str
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"


def query_mix(seed: int = SEED) -> list[BenchQuery]:
    """About 200 queries: 60 single terms, 50 two-term, 40 phrases, 30 filtered, 20 sorted."""
    rng = random.Random(seed + 1)
    terms = sorted(
        {t for ind in INDUSTRIES for pool in (ind.techniques, ind.parts, ind.effects) for t in pool}
        | {s for ind in INDUSTRIES for s in ind.subjects}
    )
    general = ["方法", "装置", "系统", "材料", "检测", "控制", "电池", "玉米", "光学", "抗体"]
    queries = [BenchQuery("term", t) for t in rng.sample(terms, 50) + general]
    for _ in range(50):
        a, b = rng.sample(terms + general, 2)
        queries.append(BenchQuery("two", f"{a} {b}"))
    phrases = [
        "动力电池热管理",
        "单倍体诱导系",
        "衍射光波导",
        "碳纤维复合材料",
        "知识图谱构建方法",
        "联邦学习系统",
        "线控转向系统",
        "人参皂苷制剂",
        "双特异性抗体",
        "数控机床主轴",
        "热误差补偿",
        "玉米杂交种",
        "可降解塑料",
        "电池热失控",
        "提高了探测距离",
        "解决了现有技术中",
        "分子标记辅助选择",
        "激光熔覆头",
        "秸秆还田机具",
        "隐私计算装置",
    ]
    for ind in INDUSTRIES:
        for _ in range(3):
            phrases.append(f"{rng.choice(ind.parts)}采用{rng.choice(ind.techniques)}")
    queries += [BenchQuery("phrase", f'"{p}"') for p in phrases[:40]]
    for ind in INDUSTRIES:
        for code in ind.ipc[:2]:
            queries.append(BenchQuery("ipc", rng.choice(ind.subjects), {"ipc": code.split()[0]}))
        queries.append(BenchQuery("ipc", rng.choice(ind.techniques), {"ipc": ind.ipc[0][0]}))
    for status in ("in_force", "pending", "grace_period"):
        for _ in range(3):
            queries.append(BenchQuery("status", rng.choice(terms), {"status": status}))
    for i in range(20):
        queries.append(
            BenchQuery("sorted", rng.choice(terms), sort="price_asc" if i % 2 else "price_desc")
        )
    return queries


# ---------------------------------------------------------------------------------------------
# FTS5 side


def fts_text(text: str) -> str:
    return " ".join(GAP if t is None else t for t in tokens(text))


def build_fts5(path: Path, docs: list[SearchDocument], texts: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='unicode61')")
    con.execute(
        "CREATE TABLE meta (id INTEGER PRIMARY KEY, status TEXT, price INTEGER, created INTEGER)"
    )
    con.execute("CREATE TABLE ipc (id INTEGER, prefix TEXT)")
    with con:
        con.executemany(
            "INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)",
            ((d.doc_id, t, b) for d, (t, b) in zip(docs, texts, strict=True)),
        )
        con.executemany(
            "INSERT INTO meta VALUES (?, ?, ?, ?)",
            ((d.doc_id, d.status, d.price, int(d.created_at.timestamp())) for d in docs),
        )
        con.executemany(
            "INSERT INTO ipc VALUES (?, ?)",
            ((d.doc_id, p) for d in docs for p in ipc_prefixes(d.ipc)),
        )
        con.execute("CREATE INDEX ipc_id ON ipc (id, prefix)")
        con.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    con.close()
    return time.perf_counter() - started


def ipc_prefixes(codes: tuple[str, ...]) -> set[str]:
    result = set()
    for code in codes:
        compact = code.replace(" ", "")
        group = compact.split("/")[0]
        result |= {compact[:1], compact[:3], compact[:4], group, compact}
    return result


def fts_match(query: BenchQuery) -> str:
    if query.kind == "phrase":
        phrase = " ".join(GAP if t is None else t for t in tokens(query.text.strip('"')))
        return f'"{phrase}"'
    terms = [t for word in query.text.split() for t in tokens(word) if t is not None]
    return " AND ".join(f'"{t}"' for t in terms)


def fts5_search(con: sqlite3.Connection, query: BenchQuery) -> tuple[list[int], int]:
    match = fts_match(query)
    where, params = "fts MATCH ?", [match]
    # Filters probe the metadata by primary key / (id, prefix) index for each match.
    if "status" in query.filters:
        where += " AND (SELECT status FROM meta WHERE meta.id = fts.rowid) = ?"
        params.append(query.filters["status"])
    if "ipc" in query.filters:
        where += " AND EXISTS (SELECT 1 FROM ipc WHERE ipc.id = fts.rowid AND ipc.prefix = ?)"
        params.append(query.filters["ipc"].replace(" ", ""))
    total = con.execute(f"SELECT count(*) FROM fts WHERE {where}", params).fetchone()[0]
    if query.sort == "relevance":
        sql = f"SELECT rowid FROM fts WHERE {where} ORDER BY bm25(fts, 2.0, 1.0) LIMIT {PER_PAGE}"
    else:
        direction = "ASC" if query.sort == "price_asc" else "DESC"
        sql = (
            f"SELECT fts.rowid FROM fts JOIN meta ON meta.id = fts.rowid WHERE {where} "
            f"ORDER BY meta.price IS NULL, meta.price {direction}, meta.created DESC "
            f"LIMIT {PER_PAGE}"
        )
    hits = [row[0] for row in con.execute(sql, params)]
    return hits, total


def fts5_all(con: sqlite3.Connection, query: BenchQuery) -> set[int]:
    return {
        row[0] for row in con.execute("SELECT rowid FROM fts WHERE fts MATCH ?", [fts_match(query)])
    }


# ---------------------------------------------------------------------------------------------


def to_search_query(query: BenchQuery) -> SearchQuery:
    return SearchQuery(text=query.text, filters=query.filters, sort=query.sort, per_page=PER_PAGE)


def timed(run: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument(
        "--procs", type=int, default=1, help="processes the Whoosh index is built with"
    )
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="iptown-bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        run(args.docs, workdir, args.procs)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(count: int, workdir: Path, procs: int = 1) -> None:
    print(f"Generating {count:,} listings …", flush=True)
    docs = list(generate_documents(count))
    queries = query_mix()
    print(
        f"{len(queries)} queries: "
        + ", ".join(
            f"{k} {sum(q.kind == k for q in queries)}"
            for k in dict.fromkeys(q.kind for q in queries)
        )
    )

    started = time.perf_counter()
    texts = [(fts_text(d.title), fts_text(d.body)) for d in docs]
    segment_s = time.perf_counter() - started
    print(f"jieba segmentation of all texts (FTS5 input): {segment_s:.1f} s")

    engine = WhooshEngine(workdir / "whoosh", rebuild_procs=procs)
    started = time.perf_counter()
    engine.rebuild(iter(docs))
    whoosh_index_s = time.perf_counter() - started
    whoosh_size = directory_size(workdir / "whoosh")

    fts_path = workdir / "fts5.sqlite3"
    fts_index_s = build_fts5(fts_path, docs, texts) + segment_s
    fts_size = fts_path.stat().st_size
    print(
        f"index time  whoosh {whoosh_index_s:7.1f} s   fts5 {fts_index_s:7.1f} s (incl. jieba; "
        f"whoosh with {procs} process{'es' if procs > 1 else ''}, fts5 with one)"
    )
    print(f"index size  whoosh {whoosh_size / 2**20:7.1f} MiB fts5 {fts_size / 2**20:7.1f} MiB")

    con = sqlite3.connect(fts_path)
    # Warm both (searcher opened, caches and pages loaded) with one pass that is not measured.
    for q in queries:
        engine.search(to_search_query(q))
        fts5_search(con, q)

    whoosh_ms, fts_ms = [], []
    by_kind: dict[str, tuple[list[float], list[float]]] = {}
    for q in queries:
        w = timed(lambda q=q: engine.search(to_search_query(q)), repeat=3)
        f = timed(lambda q=q: fts5_search(con, q), repeat=3)
        whoosh_ms.append(w)
        fts_ms.append(f)
        by_kind.setdefault(q.kind, ([], []))[0].append(w)
        by_kind[q.kind][1].append(f)

    mismatched = []
    for q in queries:
        if q.kind == "phrase":
            whoosh_ids = {doc_id for _, doc_id in engine.all_matches(SearchQuery(text=q.text))}
            if whoosh_ids != fts5_all(con, q):
                mismatched.append(q.text)
    phrases = sum(q.kind == "phrase" for q in queries)
    print(
        f"phrase queries with the same hits in both: {phrases - len(mismatched)} of {phrases}"
        + (f"  MISMATCH: {mismatched}" if mismatched else "")
    )

    print(f"{'kind':8} {'n':>4} {'whoosh p50':>11} {'p95':>7} {'fts5 p50':>9} {'p95':>7}")
    for kind, (w, f) in by_kind.items():
        print(
            f"{kind:8} {len(w):4} {statistics.median(w):9.1f}ms {percentile(w, 0.95):6.1f}ms "
            f"{statistics.median(f):7.1f}ms {percentile(f, 0.95):6.1f}ms"
        )
    w50, w95 = statistics.median(whoosh_ms), percentile(whoosh_ms, 0.95)
    f50, f95 = statistics.median(fts_ms), percentile(fts_ms, 0.95)
    print(f"{'all':8} {len(queries):4} {w50:9.1f}ms {w95:6.1f}ms {f50:7.1f}ms {f95:6.1f}ms")
    con.close()
    engine.close()
    print(
        f"RESULT docs={count} whoosh_p95_ms={w95:.1f} fts5_p95_ms={f95:.1f} ratio={w95 / f95:.2f}"
    )


if __name__ == "__main__":
    main()
