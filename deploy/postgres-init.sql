-- One server, one database per service: no service reads another's tables.
CREATE DATABASE gongjian_organizations;
CREATE DATABASE gongjian_activities;
CREATE DATABASE gongjian_evaluation;
