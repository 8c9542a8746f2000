"""xtquant.xttype for the sim: the real release's data classes, same constructors and attribute names."""

from . import xtconstant as _XTCONST_


class StockAccount:
    """A securities account (account id string + account type enum)."""

    def __new__(cls, account_id, account_type="STOCK"):
        if not isinstance(account_id, str):
            return "资金账号必须为字符串类型"
        return super().__new__(cls)

    def __init__(self, account_id, account_type="STOCK"):
        account_type = account_type.upper()
        for int_type, str_type in _XTCONST_.ACCOUNT_TYPE_DICT.items():
            if account_type == str_type:
                self.account_type = int_type
                self.account_id = account_id
                return
        raise Exception(f"不支持的账号类型：{account_type}！")  # noqa: TRY002 (the real class raises Exception)


class XtAsset:
    """Cash and asset of a stock account."""

    def __init__(self, account_id, cash, frozen_cash, market_value, total_asset, fetch_balance):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.cash = cash
        self.frozen_cash = frozen_cash
        self.market_value = market_value
        self.total_asset = total_asset
        self.fetch_balance = fetch_balance


class XtOrder:
    """A stock order as the counter reports it."""

    def __init__(self, account_id, stock_code,
                 order_id, order_sysid, order_time, order_type, order_volume,
                 price_type, price, traded_volume, traded_price,
                 order_status, status_msg, strategy_name, order_remark, direction, offset_flag,
                 secu_account, instrument_name):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.order_id = order_id
        self.order_sysid = order_sysid
        self.order_time = order_time
        self.order_type = order_type
        self.order_volume = order_volume
        self.price_type = price_type
        self.price = price
        self.traded_volume = traded_volume
        self.traded_price = traded_price
        self.order_status = order_status
        self.status_msg = status_msg
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.direction = direction
        self.offset_flag = offset_flag
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtTrade:
    """A fill."""

    def __init__(self, account_id, stock_code,
                 order_type, traded_id, traded_time, traded_price, traded_volume, traded_amount,
                 order_id, order_sysid, strategy_name, order_remark, direction, offset_flag,
                 commission, secu_account, instrument_name):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_type = order_type
        self.stock_code = stock_code
        self.traded_id = traded_id
        self.traded_time = traded_time
        self.traded_price = traded_price
        self.traded_volume = traded_volume
        self.traded_amount = traded_amount
        self.order_id = order_id
        self.order_sysid = order_sysid
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.direction = direction
        self.offset_flag = offset_flag
        self.commission = commission
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtPosition:
    """A position."""

    def __init__(self, account_id, stock_code,
                 volume, can_use_volume, open_price, market_value,
                 frozen_volume, on_road_volume, yesterday_volume, avg_price, direction,
                 last_price, profit_rate, secu_account, instrument_name):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.volume = volume
        self.can_use_volume = can_use_volume
        self.open_price = open_price
        self.market_value = market_value
        self.frozen_volume = frozen_volume
        self.on_road_volume = on_road_volume
        self.yesterday_volume = yesterday_volume
        self.avg_price = avg_price
        self.direction = direction
        self.last_price = last_price
        self.profit_rate = profit_rate
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtOrderError:
    """An order rejection."""

    def __init__(self, account_id, order_id,
                 error_id=None, error_msg=None,
                 strategy_name=None, order_remark=None):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.error_id = error_id
        self.error_msg = error_msg
        self.strategy_name = strategy_name
        self.order_remark = order_remark


class XtCancelError:
    """A failed cancel."""

    def __init__(self, account_id, order_id, market, order_sysid,
                 error_id=None, error_msg=None):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.market = market
        self.order_sysid = order_sysid
        self.error_id = error_id
        self.error_msg = error_msg


class XtOrderResponse:
    """Answer to order_stock_async (carries the order id and the request seq)."""

    def __init__(self, account_id, order_id, strategy_name, order_remark, error_msg, seq):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.error_msg = error_msg
        self.seq = seq


class XtCancelOrderResponse:
    """Answer to a cancel request."""

    def __init__(self, account_id, cancel_result, order_id, order_sysid, seq, error_msg):
        self.account_type = _XTCONST_.SECURITY_ACCOUNT
        self.account_id = account_id
        self.cancel_result = cancel_result
        self.order_id = order_id
        self.order_sysid = order_sysid
        self.seq = seq
        self.error_msg = error_msg


class XtCreditOrder(XtOrder):
    """A credit-account order (not simulated; the class exists as in the real release)."""

    def __init__(self, account_id, stock_code,
                 order_id, order_time, order_type, order_volume,
                 price_type, price, traded_volume, traded_price,
                 order_status, status_msg, order_remark, contract_no,
                 stock_code1):
        self.account_type = _XTCONST_.CREDIT_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.order_id = order_id
        self.order_time = order_time
        self.order_type = order_type
        self.order_volume = order_volume
        self.price_type = price_type
        self.price = price
        self.traded_volume = traded_volume
        self.traded_price = traded_price
        self.order_status = order_status
        self.status_msg = status_msg
        self.order_remark = order_remark
        self.contract_no = contract_no
        self.stock_code1 = stock_code1


class XtCreditDeal:
    """A credit-account fill (not simulated; the class exists as in the real release)."""

    def __init__(self, account_id, stock_code,
                 traded_id, traded_time, traded_price,
                 traded_volume, order_id, contract_no,
                 stock_code1):
        self.account_type = _XTCONST_.CREDIT_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.traded_id = traded_id
        self.traded_time = traded_time
        self.traded_price = traded_price
        self.traded_volume = traded_volume
        self.order_id = order_id
        self.contract_no = contract_no
        self.stock_code1 = stock_code1


class XtAccountStatus:
    """Status of an account (xtconstant.ACCOUNT_STATUS_*)."""

    def __init__(self, account_id, account_type, status):
        self.account_type = account_type
        self.account_id = account_id
        self.status = status


class XtSmtAppointmentResponse:
    """Answer to an SMT appointment request (not simulated)."""

    def __init__(self, seq, success, msg, apply_id):
        self.seq = seq
        self.success = success
        self.msg = msg
        self.apply_id = apply_id


class XtBankTransferResponse:
    """Answer to a bank transfer request (not simulated)."""

    def __init__(self, seq, success, msg):
        self.seq = seq
        self.success = success
        self.msg = msg


class XtSmartAlgoOrderResponse:
    """Answer to a smart-algo order (not simulated)."""

    def __init__(self, account_id, task_id, strategy_name, order_remark, error_msg, seq):
        self.account_id = account_id
        self.task_id = task_id
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.error_msg = error_msg
        self.seq = seq


class XtOperateSmartTaskResponse:
    """Answer to a smart-algo task operation (not simulated)."""

    def __init__(self, seq, success, task_id, operate_reason, error_msg):
        self.seq = seq
        self.success = success
        self.task_id = task_id
        self.operate_reason = operate_reason
        self.error_msg = error_msg
