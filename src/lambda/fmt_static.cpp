// fmt, compiled into Lambda bootstraps. Debian ships fmt 9 only as libfmt.so, which Amazon
// Linux 2023 does not have; a bootstrap gets fmt's out-of-line functions from this translation
// unit instead (cmake/lift_add_lambda.cmake drops libfmt.so from its link line). Including
// format-inl.h without FMT_HEADER_ONLY defines fmt's non-template functions here; the templates
// that format.h declares `extern template` are instantiated explicitly below. Same fmt version
// as the headers every other translation unit was compiled with, so the definitions match.
#include <locale>

#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE

namespace detail {

template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl<char>(locale_ref) -> char;
template auto decimal_point_impl<wchar_t>(locale_ref) -> wchar_t;
template auto dragonbox::to_decimal<float>(float) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal<double>(double) noexcept -> dragonbox::decimal_fp<double>;
template locale_ref::locale_ref(const std::locale&);
template auto locale_ref::get<std::locale>() const -> std::locale;

}  // namespace detail

FMT_END_NAMESPACE
