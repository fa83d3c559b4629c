DROP TABLE budget_transactions;
DROP TABLE budget_lines;
DROP TABLE budget_contributions;
DROP TABLE budgets;
