/**
 * `help_show` texts of the CKAN-compatible actions Hasad answers: what CKAN's docstring says
 * for each, restricted to what Hasad supports (CKAN answers its own docstrings; these describe
 * Hasad's behaviour, which is what a caller needs). The keys are also the list of actions.
 */
export const CKAN_HELP: Record<string, string> = {
  package_search: `Searches for packages (Hasad's active datasets).

:param q: full-text query, ranked (French stemming, accents and Arabic spelling folded); *:* or empty for all
:param fq: filters: organization:, groups:, tags:, res_format:, license_id: clauses (field:value or field:"a value") joined by spaces, + or AND; OR, negation and ranges are refused
:param rows: packages to return (default 10, at most 1000)
:param start: offset of the first package (default 0)
:param sort: score desc (with q), metadata_modified desc|asc, title_string asc|desc, name asc|desc, id asc
:param facet.field: JSON list of facets to count: organization, groups, tags, res_format, license_id
:param facet.limit: values per facet (default 50)
:param include_private: accepted; Hasad has no private packages
:returns: {count, sort, facets, search_facets, results}`,
  package_show: `Returns the metadata of a package and its resources.

:param id: Hasad id, package name, or the source's identifier or URI for the dataset`,
  package_list: `Returns the names of the active packages, ordered by id.

:param limit: names to return
:param offset: names to skip`,
  organization_list: `Returns the organisations' names, or dicts with all_fields.

:param all_fields: true for dicts with package_count
:param sort: name asc|desc, title asc|desc, package_count asc|desc
:param limit: organisations to return
:param offset: organisations to skip`,
  organization_show: `Returns an organisation.

:param id: its name (slug) or id
:param include_datasets: true to list its active packages in packages (at most 1000, by title)
:param include_private: accepted; Hasad has no private packages`,
  group_list: `Returns the groups (Hasad's themes) in use, by their EU data-theme code, or dicts with all_fields.

:param all_fields: true for dicts with package_count`,
  group_show: `Returns a group (a theme).

:param id: its name (EU data-theme code such as ENVI), the theme's URI or label, or the group id
:param include_datasets: true to list its active packages in packages (at most 1000, by title)
:param include_private: accepted; Hasad has no private packages`,
  tag_list: `Returns the keywords of the active packages.

:param query: only tags containing this string (case-insensitive)
:param all_fields: true for tag dicts`,
  status_show: 'Returns the site title, URL, the CKAN API version imitated (2.9) and the extensions (none).',
  help_show: `Returns the help text of an action.

:param name: the action's name`,
};
