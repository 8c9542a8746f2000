"""XtQuantTrader methods the sim does not simulate: real signatures, each raises NotImplementedError.

Generated once from the real xttrader.py with ast (the contract test checks every signature).
"""
# ruff: noqa: B006

SIM_COVERS = (
    "the sim covers stock trading on STOCK accounts (order_stock[_async], cancel_order_stock[_sysid][_async]), "
    "the stock queries (asset, orders, trades, positions, account infos/status), subscribe/unsubscribe and the "
    "connection lifecycle; credit, bank/fund transfer, SMT, smart-algo, futures/options and data-export "
    "functions are not simulated"
)


def _unsupported(name):
    raise NotImplementedError(f"sim: XtQuantTrader.{name} is not simulated; {SIM_COVERS}")


class UnsupportedTraderMethods:
    """Mixin with every non-stock XtQuantTrader method of the real release."""

    def query_credit_detail(self, account):
        _unsupported('query_credit_detail')

    def query_credit_detail_async(self, account, callback):
        _unsupported('query_credit_detail_async')

    def query_stk_compacts(self, account):
        _unsupported('query_stk_compacts')

    def query_stk_compacts_async(self, account, callback):
        _unsupported('query_stk_compacts_async')

    def query_credit_subjects(self, account):
        _unsupported('query_credit_subjects')

    def query_credit_subjects_async(self, account, callback):
        _unsupported('query_credit_subjects_async')

    def query_credit_slo_code(self, account):
        _unsupported('query_credit_slo_code')

    def query_credit_slo_code_async(self, account, callback):
        _unsupported('query_credit_slo_code_async')

    def query_credit_assure(self, account):
        _unsupported('query_credit_assure')

    def query_credit_assure_async(self, account, callback):
        _unsupported('query_credit_assure_async')

    def query_new_purchase_limit(self, account):
        _unsupported('query_new_purchase_limit')

    def query_new_purchase_limit_async(self, account, callback):
        _unsupported('query_new_purchase_limit_async')

    def query_ipo_data(self):
        _unsupported('query_ipo_data')

    def query_ipo_data_async(self, callback):
        _unsupported('query_ipo_data_async')

    def fund_transfer(self, account, transfer_direction, price):
        _unsupported('fund_transfer')

    def secu_transfer(self, account, transfer_direction, stock_code, volume, transfer_type):
        _unsupported('secu_transfer')

    def query_com_fund(self, account):
        _unsupported('query_com_fund')

    def query_com_position(self, account):
        _unsupported('query_com_position')

    def smt_query_quoter(self, account):
        _unsupported('smt_query_quoter')

    def smt_negotiate_order_async(self, account, src_group_id, order_code, date, amount, apply_rate, dict_param={}):
        _unsupported('smt_negotiate_order_async')

    def smt_appointment_order_async(self, account, order_code, date, amount, apply_rate):
        _unsupported('smt_appointment_order_async')

    def smt_appointment_cancel_async(self, account, apply_id):
        _unsupported('smt_appointment_cancel_async')

    def smt_query_order(self, account):
        _unsupported('smt_query_order')

    def smt_query_compact(self, account):
        _unsupported('smt_query_compact')

    def smt_compact_renewal_async(self, account, cash_compact_id, order_code, defer_days, defer_num, apply_rate):
        _unsupported('smt_compact_renewal_async')

    def smt_compact_return_async(self, account, src_group_id, cash_compact_id, order_code, occur_amount):
        _unsupported('smt_compact_return_async')

    def query_position_statistics(self, account):
        _unsupported('query_position_statistics')

    def export_data(self, account, result_path, data_type, start_time=None, end_time=None, user_param={}):
        _unsupported('export_data')

    def query_data(self, account, result_path, data_type, start_time=None, end_time=None, user_param={}):
        _unsupported('query_data')

    def sync_transaction_from_external(self, operation, data_type, account, deal_list):
        _unsupported('sync_transaction_from_external')

    def bank_transfer_in(self, account, bank_no, bank_account, balance, bank_pwd='', fund_pwd=''):
        _unsupported('bank_transfer_in')

    def bank_transfer_in_async(self, account, bank_no, bank_account, balance, bank_pwd='', fund_pwd=''):
        _unsupported('bank_transfer_in_async')

    def bank_transfer_out(self, account, bank_no, bank_account, balance, bank_pwd='', fund_pwd=''):
        _unsupported('bank_transfer_out')

    def bank_transfer_out_async(self, account, bank_no, bank_account, balance, bank_pwd='', fund_pwd=''):
        _unsupported('bank_transfer_out_async')

    def query_bank_info(self, account):
        _unsupported('query_bank_info')

    def query_bank_amount(self, account, bank_no, bank_account, bank_pwd):
        _unsupported('query_bank_amount')

    def query_bank_transfer_stream(self, account, start_date, end_date, bank_no='', bank_account=''):
        _unsupported('query_bank_transfer_stream')

    def query_secu_account(self, account):
        _unsupported('query_secu_account')

    def ctp_transfer_option_to_future(self, opt_account_id, ft_account_id, balance):
        _unsupported('ctp_transfer_option_to_future')

    def ctp_transfer_option_to_future_async(self, opt_account_id, ft_account_id, balance):
        _unsupported('ctp_transfer_option_to_future_async')

    def ctp_transfer_future_to_option(self, opt_account_id, ft_account_id, balance):
        _unsupported('ctp_transfer_future_to_option')

    def ctp_transfer_future_to_option_async(self, opt_account_id, ft_account_id, balance):
        _unsupported('ctp_transfer_future_to_option_async')

    def get_smart_algo_param(self, algo_name_list):
        _unsupported('get_smart_algo_param')

    def smart_algo_order_async(self, account, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark, algo_name, start_time, end_time, algo_param):
        _unsupported('smart_algo_order_async')

    def query_smart_algo_task(self, account):
        _unsupported('query_smart_algo_task')

    def cancel_smart_algo_task_async(self, account, task_id):
        _unsupported('cancel_smart_algo_task_async')
