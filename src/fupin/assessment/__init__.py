"""The assessors' pages: sampling plans, findings entered household by household or imported
from survey sheets, and 三率一度 with the county decision from the engine (issue 5, item 2)."""
