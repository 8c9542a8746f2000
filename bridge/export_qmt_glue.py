"""Text templates of the exported QMT script (Python 3.6): header, settings, module loader, per-strategy glue."""
from __future__ import annotations

EXPORT_PACKAGE = "_qmt_export"     # the embedded qmt_strategies live under this name inside QMT

HEADER = '''# -*- coding: gbk -*-
"""QMT 内置策略脚本（由 `python -m bridge export-qmt --strategy {strategy}` 于 {date} 生成，请勿手改下方嵌入的模块）

如何使用 / How to use
1. 在 QMT 客户端打开「模型研究 / 策略编辑器」，新建 Python 策略，把本文件全部内容粘贴进去（或直接导入本文件）。
   QMT 以 GBK 读取脚本；本文件已是 GBK 编码、Python 3.6 语法，只用标准库和 numpy/pandas。
2. 修改下面「用户设置」里的 ACCOUNT_ID（资金账号，必填）、JOURNAL_DIR（日志目录）、REFDATA_DIR（参考数据目录）。
   参考数据：在装有 miniQMT 的电脑上运行 `python -m bridge qmt-refdata --out REFDATA_DIR` 写入
   etf_info.json（ETF 成分股）、industries.json（申万一级行业）、watchlist.json。
3. 先回测：在电脑上 `python -m bridge backtest dist/本文件.py --start ... --end ...`（QMT 运行器模拟器），
   再在 QMT 里选「回测」运行；确认无误后选「模拟」运行，最后才选「实盘」。主图品种任选（如 510300.SH），
   周期选「分笔」或「1分钟」（本策略按最新行情决策，只在最后一根K线上下单）。
4. 运行期间每个信号、委托、成交写入 JOURNAL_DIR 下的 *.jsonl 日志；在电脑上
   `python -m bridge sync --journal JOURNAL_DIR` 把日志导入 signals_db（重复导入只存一次）。
5. 紧急停止：创建文件 KILL_SWITCH_FILE，脚本停止新开仓（卖出仍允许），删除文件后恢复。

Paste this file into QMT's strategy editor, set ACCOUNT_ID, backtest it first (python -m bridge backtest),
then run it in QMT's backtest, then simulation, then live. Embedded modules: {modules}.
"""
'''

SETTINGS = '''
# ======================= 用户设置 / settings =======================
ACCOUNT_ID = ''                          # 资金账号（必填）/ your account id
ACCOUNT_TYPE = 'STOCK'
JOURNAL_DIR = r'C:\\qmt_toolkit\\journal'    # 信号/委托/成交日志目录
REFDATA_DIR = r'C:\\qmt_toolkit\\refdata'    # 参考数据目录（etf_info.json 等）
KILL_SWITCH_FILE = r'C:\\qmt_toolkit\\KILL'  # 存在即停止新开仓
STRATEGY = '{strategy}'
# 策略参数（来自 config/settings.yaml，导出时写入；不含任何密钥）
PARAMS = {params}
# 风控参数（config/settings.yaml 的 risk 段）
RISK = {risk}
# 持仓保护：没有止损止盈计划的持仓（手工买入、脚本重启后）按 config 的 exits 段加上默认止损/止盈/移动止损/时间卖出
PROTECT_HOLDINGS = True
PROTECT = {protect}
UNIVERSE = []            # 股票池（空 = 沪深A股）/ codes to score; empty = the whole A-share sector
# ===================================================================
'''

LOADER = '''
import datetime
import json
import os
import sys
import types

_MODULES = (
@@MODULES@@
)


def _install_modules():
    """Register the embedded modules (dependencies first) so their imports resolve without files."""
    pkg = types.ModuleType('_qmt_export')
    pkg.__path__ = []
    pkg.__package__ = '_qmt_export'
    sys.modules['_qmt_export'] = pkg
    for name, src in _MODULES:
        short = name.split('.', 1)[1]
        full = '_qmt_export.' + short
        mod = types.ModuleType(full)
        mod.__package__ = '_qmt_export'
        mod.__file__ = '<qmt export %s>' % name
        sys.modules[full] = mod
        exec(compile(src, mod.__file__, 'exec'), mod.__dict__)
        setattr(pkg, short, mod)


_install_modules()


def _read_json(name):
    """A reference-data file from REFDATA_DIR (UTF-8 or GBK JSON); None when absent."""
    path = os.path.join(REFDATA_DIR, name)
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        text = raw.decode('gbk')
    return json.loads(text)


class _Journal(object):
    """Appends one JSON object per line to JOURNAL_DIR/<strategy>_<YYYYMMDD>.jsonl and flushes each line."""

    def __init__(self, folder, strategy):
        self.folder = folder
        self.strategy = strategy
        self.day = None
        self.f = None

    def __call__(self, rec):
        day = (datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=rec['ts'] + 8 * 3600 * 1000))
        day = day.strftime('%Y%m%d')
        if self.f is None or day != self.day:
            if self.f is not None:
                self.f.close()
            if not os.path.isdir(self.folder):
                os.makedirs(self.folder)
            self.f = open(os.path.join(self.folder, '%s_%s.jsonl' % (self.strategy, day)), 'a', encoding='utf-8')
            self.day = day
        self.f.write(json.dumps(rec, sort_keys=True) + '\\n')   # ASCII only: GBK vs UTF-8 never matters
        self.f.flush()


def _kill_switch():
    return bool(KILL_SWITCH_FILE) and os.path.exists(KILL_SWITCH_FILE)


def _require_account():
    if not ACCOUNT_ID:
        raise ValueError('请先在脚本顶部「用户设置」填写 ACCOUNT_ID（资金账号）/ set ACCOUNT_ID at the top of the script')
'''

_CALLBACKS = '''

def handlebar(C):
    _ADAPTER[0].handlebar(C)


def deal_callback(C, deal):
    _ADAPTER[0].deal_callback(C, deal)


def order_callback(C, order):
    _ADAPTER[0].order_callback(C, order)


def orderError_callback(C, args, msg):
    _ADAPTER[0].orderError_callback(C, args, msg)
'''

LIMIT_UP_ETF = '''
# ======================= 策略入口 / QMT entry points =======================
from _qmt_export.builtin_adapter import BuiltinAdapter, RiskLimits
from _qmt_export.evaluate import LimitUpEtfParams
from _qmt_export.limit_up_etf import LimitUpEtfStrategy

_ADAPTER = [None]      # module-level state: ContextInfo attributes roll back between handlebar calls


def init(C):
    _require_account()
    etf_info = _read_json('etf_info.json')
    if not etf_info:
        raise ValueError('缺少 ETF 成分数据 %s（xtdata.get_etf_info() 的 JSON）/ missing ETF baskets file'
                         % os.path.join(REFDATA_DIR, 'etf_info.json'))
    codes = set(etf_info)
    for info in etf_info.values():
        for row in info.get('成份股信息', []):
            codes.add(row['成份股代码'])
    strategy = LimitUpEtfStrategy(LimitUpEtfParams(**PARAMS), etf_info=etf_info)
    adapter = BuiltinAdapter(strategy, ACCOUNT_ID, passorder, get_trade_detail_data,
                             journal=_Journal(JOURNAL_DIR, STRATEGY), risk=RiskLimits(**RISK),
                             kill_switch=_kill_switch, account_type=ACCOUNT_TYPE, codes=sorted(codes),
                             protect=PROTECT if PROTECT_HOLDINGS else None)
    adapter.init(C)
    _ADAPTER[0] = adapter
''' + _CALLBACKS

OFFENSIVE = '''
# ======================= 策略入口 / QMT entry points =======================
from _qmt_export.builtin_adapter import BuiltinAdapter, RiskLimits
from _qmt_export.offensive_driver import OffensiveDriver
from _qmt_export.offensive import OffensiveLayerStrategy

_ADAPTER = [None]      # module-level state: ContextInfo attributes roll back between handlebar calls
SW_L1 = ('农林牧渔', '基础化工', '钢铁', '有色金属', '电子', '家用电器', '食品饮料', '纺织服饰', '轻工制造', '医药生物',
         '公用事业', '交通运输', '房地产', '商贸零售', '社会服务', '综合', '建筑材料', '建筑装饰', '电力设备', '国防军工',
         '计算机', '传媒', '通信', '银行', '非银金融', '汽车', '机械设备', '煤炭', '石油石化', '环保', '美容护理')


def _industries(C):
    """code -> SW level-1 industry: REFDATA_DIR/industries.json, else QMT's 'SW1<name>' sectors."""
    got = _read_json('industries.json')
    if got:
        return got
    out = {}
    for name in SW_L1:
        for code in C.get_stock_list_in_sector('SW1' + name) or []:
            out[code] = name
    return out


def init(C):
    _require_account()
    codes = list(UNIVERSE) or list(C.get_stock_list_in_sector('沪深A股'))

    def bars(stock_codes, end, count):
        return C.get_market_data_ex(['high', 'low', 'close', 'volume'], stock_codes, period='1d',
                                    end_time=end, count=count)

    layer = OffensiveLayerStrategy(**PARAMS)
    driver = OffensiveDriver(layer, codes, bars, industry_of=_industries(C))
    adapter = BuiltinAdapter(driver, ACCOUNT_ID, passorder, get_trade_detail_data,
                             journal=_Journal(JOURNAL_DIR, STRATEGY), risk=RiskLimits(**RISK),
                             industry_of=driver.industry_of, kill_switch=_kill_switch, account_type=ACCOUNT_TYPE,
                             codes=driver.codes, protect=PROTECT if PROTECT_HOLDINGS else None)
    adapter.init(C)
    _ADAPTER[0] = adapter
''' + _CALLBACKS

GLUE = {"limit_up_etf": LIMIT_UP_ETF, "offensive": OFFENSIVE}
