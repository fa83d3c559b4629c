DROP TABLE risk_escalations;
DROP TABLE risk_mitigations;
DROP TABLE risk_assessments;
DROP TABLE risks;
DROP TABLE risk_scoring;
