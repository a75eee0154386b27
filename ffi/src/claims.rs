//! Reading the verified claims and header of a token, from the scratch it was verified in.
//!
//! Every string comes out as pointer plus length into the scratch (not NUL-terminated),
//! unescaped, valid until the scratch is reused.

use tollgate::{Claim, Claims, Kind, Scratch};

use crate::boundary::{apart, arg, disjoint, fits, guard, infallible, out_region, text, write_out};
use crate::status::tollgate_status;

/// The claims of a verified token: a view into the scratch memory passed to `tollgate_verify`.
pub struct tollgate_claims {
    _scratch: [u8; 0],
}

/// The JSON type of a claim or header parameter.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tollgate_json_kind {
    /// `null`
    Null = 0,
    /// `true` or `false`
    Bool = 1,
    /// A number.
    Number = 2,
    /// A string.
    String = 3,
    /// An array.
    Array = 4,
    /// An object.
    Object = 5,
}

/// One claim or header parameter. Pointers are into the scratch.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tollgate_value {
    /// Its JSON type.
    pub kind: tollgate_json_kind,
    /// Its JSON text, exactly as signed.
    pub raw: *const u8,
    /// Length of `raw`.
    pub raw_len: usize,
    /// For strings, the unescaped text; NULL otherwise.
    pub text: *const u8,
    /// Length of `text` (0 when `text` is NULL).
    pub text_len: usize,
}

fn kind(k: Kind) -> tollgate_json_kind {
    match k {
        Kind::Null => tollgate_json_kind::Null,
        Kind::Bool => tollgate_json_kind::Bool,
        Kind::Number => tollgate_json_kind::Number,
        Kind::String => tollgate_json_kind::String,
        Kind::Array => tollgate_json_kind::Array,
        Kind::Object => tollgate_json_kind::Object,
    }
}

fn value(c: Claim<'_>) -> tollgate_value {
    let (text, text_len) = c
        .text_bytes()
        .map_or((core::ptr::null(), 0), |t| (t.as_ptr(), t.len()));
    tollgate_value {
        kind: kind(c.kind()),
        raw: c.raw_bytes().as_ptr(),
        raw_len: c.raw_bytes().len(),
        text,
        text_len,
    }
}

/// The claims behind a `tollgate_claims` pointer.
///
/// # Safety
/// `claims` is NULL or came from `tollgate_verify` and its scratch is still live and unchanged.
unsafe fn view<'a>(claims: *const tollgate_claims) -> Result<Claims<'a>, tollgate_status> {
    if !(claims as usize).is_multiple_of(align_of::<Scratch>()) {
        return Err(tollgate_status::Misaligned);
    }
    fits(claims.cast(), size_of::<Scratch>())?;
    // SAFETY: the caller guarantees the pointer is a live scratch; it is only read.
    let scratch: &Scratch = unsafe { arg(claims.cast::<Scratch>()) }?;
    scratch.claims().ok_or(tollgate_status::NoClaims)
}

/// Refuses an output that lies inside the scratch the claims are read from: writing it would
/// change memory that is borrowed while it is read.
fn outside<T>(
    claims: *const tollgate_claims,
    out: *const T,
    len: usize,
) -> Result<(), tollgate_status> {
    if disjoint((out.cast(), len), (claims.cast(), size_of::<Scratch>())) {
        Ok(())
    } else {
        Err(tollgate_status::InvalidArgument)
    }
}

/// Writes a string result to `ptr`/`len`, or returns NotFound for `None`.
///
/// # Safety
/// Non-NULL out-pointers are writable.
unsafe fn out_str(
    claims: *const tollgate_claims,
    found: Option<&str>,
    ptr: *mut *const u8,
    len: *mut usize,
) -> Result<(), tollgate_status> {
    if ptr.is_null() || len.is_null() {
        return Err(tollgate_status::NullArgument);
    }
    outside(claims, ptr, size_of::<*const u8>())?;
    outside(claims, len, size_of::<usize>())?;
    apart(&[out_region(ptr), out_region(len)])?;
    let s = found.ok_or(tollgate_status::NotFound)?;
    // SAFETY: both checked non-NULL; the caller provides writable slots.
    unsafe {
        write_out(ptr, s.as_ptr())?;
        write_out(len, s.len())
    }
}

/// Reads one string of the claims into `ptr`/`len`.
fn string_claim(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
    read: fn(Claims<'_>) -> Option<&str>,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        // SAFETY: the caller provides writable out-parameters.
        unsafe { out_str(claims, read(c), ptr, len) }
    })
}

/// `iss`, unescaped (pointer and length into the scratch). `TOLLGATE_STATUS_NOT_FOUND` when
/// absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_iss(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.iss())
}

/// `sub` (for client credentials, the client), unescaped. `TOLLGATE_STATUS_NOT_FOUND` when
/// absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_sub(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.sub())
}

/// `client_id` (RFC 9068 §2.2), unescaped. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_client_id(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.client_id())
}

/// `scope`, space-separated as issued, unescaped. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_scope(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.scope())
}

/// `jti`, unescaped. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_jti(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.jti())
}

/// The header `kid`, unescaped. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_kid(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.kid())
}

/// The header `typ`, unescaped. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_typ(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    string_claim(claims, ptr, len, |c| c.typ())
}

/// The algorithm that verified the token, by its JOSE name: `"EdDSA"`, `"HS256"`, `"ES256"`,
/// `"ES384"`, `"RS256"` … `"PS512"` (pointer and length).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_alg(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        // SAFETY: the caller provides writable out-parameters.
        unsafe { out_str(claims, Some(c.alg().as_str()), ptr, len) }
    })
}

/// Reads one NumericDate of the claims into `out`.
fn date_claim(
    claims: *const tollgate_claims,
    out: *mut i64,
    read: fn(Claims<'_>) -> Option<i64>,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        outside(claims, out, size_of::<i64>())?;
        let date = read(c).ok_or(tollgate_status::NotFound)?;
        // SAFETY: checked non-NULL; the caller provides a writable slot.
        unsafe { write_out(out, date) }
    })
}

/// `exp` in unix seconds, rounded down when fractional. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_exp(
    claims: *const tollgate_claims,
    out: *mut i64,
) -> tollgate_status {
    date_claim(claims, out, |c| c.exp())
}

/// `nbf` in unix seconds, rounded up when fractional. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_nbf(
    claims: *const tollgate_claims,
    out: *mut i64,
) -> tollgate_status {
    date_claim(claims, out, |c| c.nbf())
}

/// `iat` in unix seconds, rounded up when fractional. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_iat(
    claims: *const tollgate_claims,
    out: *mut i64,
) -> tollgate_status {
    date_claim(claims, out, |c| c.iat())
}

/// How many audiences `aud` names (0 when absent, or for NULL or unverified scratch).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_aud_count(claims: *const tollgate_claims) -> usize {
    infallible(0, || {
        // SAFETY: the caller passes NULL or claims from `tollgate_verify` whose scratch is live.
        unsafe { view(claims) }.map_or(0, |c| c.aud().count())
    })
}

/// The `index`th audience of `aud` (a string `aud` is index 0), unescaped.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_aud(
    claims: *const tollgate_claims,
    index: usize,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        // SAFETY: the caller provides writable out-parameters.
        unsafe { out_str(claims, c.aud().nth(index), ptr, len) }
    })
}

/// Which part of the token a lookup reads.
#[derive(Clone, Copy)]
enum Part {
    Claims,
    Header,
}

/// Finds a claim or header parameter by name.
///
/// # Safety
/// As for [`view`], and `name` points to `name_len` readable bytes.
unsafe fn lookup<'a>(
    claims: *const tollgate_claims,
    part: Part,
    name: *const u8,
    name_len: usize,
) -> Result<Claim<'a>, tollgate_status> {
    // SAFETY: passed on from the caller.
    let c = unsafe { view(claims) }?;
    // SAFETY: passed on from the caller.
    let name = unsafe { text(name, name_len) }?;
    match part {
        Part::Claims => c.claim(name),
        Part::Header => c.header(name),
    }
    .ok_or(tollgate_status::NotFound)
}

fn get(
    claims: *const tollgate_claims,
    part: Part,
    name: *const u8,
    name_len: usize,
    out: *mut tollgate_value,
) -> tollgate_status {
    guard(|| {
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        outside(claims, out, size_of::<tollgate_value>())?;
        // SAFETY: the caller passes live claims and `name_len` readable bytes.
        let found = unsafe { lookup(claims, part, name, name_len) }?;
        // SAFETY: checked non-NULL; the caller provides a writable value.
        unsafe { write_out(out, value(found)) }
    })
}

/// Any top-level claim, by name (compared after unescaping). `TOLLGATE_STATUS_NOT_FOUND` when
/// absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_get(
    claims: *const tollgate_claims,
    name: *const u8,
    name_len: usize,
    out: *mut tollgate_value,
) -> tollgate_status {
    get(claims, Part::Claims, name, name_len, out)
}

/// Any header parameter, by name. `TOLLGATE_STATUS_NOT_FOUND` when absent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_header(
    claims: *const tollgate_claims,
    name: *const u8,
    name_len: usize,
    out: *mut tollgate_value,
) -> tollgate_status {
    get(claims, Part::Header, name, name_len, out)
}

fn text_of(
    claims: *const tollgate_claims,
    part: Part,
    name: *const u8,
    name_len: usize,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> tollgate_status {
    guard(|| {
        if written.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        outside(claims, written, size_of::<usize>())?;
        if !buf.is_null() {
            fits(buf, buf_len)?;
            outside(claims, buf, buf_len)?;
            apart(&[(buf.cast_const(), buf_len), out_region(written)])?;
        }
        // SAFETY: the caller passes live claims and `name_len` readable bytes.
        let found = unsafe { lookup(claims, part, name, name_len) }?;
        let needed = found.text_len();
        if !buf.is_null() {
            if buf_len < needed {
                return Err(tollgate_status::BufferTooSmall);
            }
            // SAFETY: non-NULL; the caller provides `buf_len` writable bytes, checked above not
            // to overlap the scratch the claim is read from.
            let out = unsafe { core::slice::from_raw_parts_mut(buf, buf_len) };
            found
                .write_text(out)
                .ok_or(tollgate_status::BufferTooSmall)?;
        }
        // SAFETY: checked non-NULL; the caller provides a writable slot.
        unsafe { write_out(written, needed) }
    })
}

/// A claim as text for a header or a log line: a string unescaped, an array's elements joined
/// with `,` (strings unescaped, others as JSON), anything else as its JSON text. Not
/// NUL-terminated. With `buf` NULL, only writes the length needed to `*written`; with a `buf`
/// shorter than that, returns `TOLLGATE_STATUS_BUFFER_TOO_SMALL` and writes nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_text(
    claims: *const tollgate_claims,
    name: *const u8,
    name_len: usize,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> tollgate_status {
    text_of(claims, Part::Claims, name, name_len, buf, buf_len, written)
}

/// `tollgate_claims_text` for a header parameter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_header_text(
    claims: *const tollgate_claims,
    name: *const u8,
    name_len: usize,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> tollgate_status {
    text_of(claims, Part::Header, name, name_len, buf, buf_len, written)
}

/// How many top-level claims the token has (0 for NULL or unverified scratch).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_count(claims: *const tollgate_claims) -> usize {
    infallible(0, || {
        // SAFETY: the caller passes NULL or claims from `tollgate_verify` whose scratch is live.
        unsafe { view(claims) }.map_or(0, |c| c.iter().count())
    })
}

/// The `index`th claim in token order: its unescaped name and its value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_at(
    claims: *const tollgate_claims,
    index: usize,
    name: *mut *const u8,
    name_len: *mut usize,
    out: *mut tollgate_value,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        outside(claims, out, size_of::<tollgate_value>())?;
        apart(&[out_region(name), out_region(name_len), out_region(out)])?;
        let (n, v) = c.iter().nth(index).ok_or(tollgate_status::NotFound)?;
        // SAFETY: the caller provides writable out-parameters; `out` checked non-NULL.
        unsafe {
            out_str(claims, Some(n), name, name_len)?;
            write_out(out, value(v))
        }
    })
}

/// The decoded payload exactly as signed (JSON, not NUL-terminated).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_claims_payload_json(
    claims: *const tollgate_claims,
    ptr: *mut *const u8,
    len: *mut usize,
) -> tollgate_status {
    guard(|| {
        // SAFETY: the caller passes claims from `tollgate_verify` whose scratch is live.
        let c = unsafe { view(claims) }?;
        // SAFETY: the caller provides writable out-parameters.
        unsafe { out_str(claims, Some(c.payload_json()), ptr, len) }
    })
}
