/* The frozen layout of plugin ABI 1.2 on x86_64 / LP64 (System V), as literal numbers.
 *
 * Every field of every struct in the jobber/abi/ headers: X(type, field, offset, size). Structs end with
 * S(type, sizeof, alignof). The numbers are written by hand from the ABI rules, not generated:
 * a change to a struct in jobber/abi/ must fail here, and fixing the table is the deliberate act
 * that goes with an ABI note (fields may only be appended, and only with a minor version bump).
 *
 * Rows marked 1.1 and 1.2 were appended in those minors; every 1.0 offset is unchanged.
 *
 * Shared by the C check (abi_headers_c99.c) and the C++ test (abi_layout_test.cpp). */
#ifndef JOBBER_TESTS_ABI_LAYOUT_TABLE_H
#define JOBBER_TESTS_ABI_LAYOUT_TABLE_H

#define JOBBER_ABI_LAYOUT(X, S)                                           \
    X(jobber_error, message, 0, 8)                                        \
    X(jobber_error, vendor_code, 8, 4)                                    \
    X(jobber_error, sqlstate, 12, 6)                                      \
    X(jobber_error, release, 24, 8)                                       \
    S(jobber_error, 32, 8)                                                \
                                                                          \
    X(jobber_buffer, data, 0, 8)                                          \
    X(jobber_buffer, size, 8, 8)                                          \
    X(jobber_buffer, release, 16, 8)                                      \
    S(jobber_buffer, 24, 8)                                               \
                                                                          \
    X(jobber_kv, key, 0, 8)                                               \
    X(jobber_kv, value, 8, 8)                                             \
    S(jobber_kv, 16, 8)                                                   \
                                                                          \
    X(jobber_config_field, name, 0, 8)                                    \
    X(jobber_config_field, type, 8, 4)                                    \
    X(jobber_config_field, required, 12, 4)                               \
    X(jobber_config_field, default_value, 16, 8)                          \
    X(jobber_config_field, doc, 24, 8)                                    \
    S(jobber_config_field, 32, 8)                                         \
                                                                          \
    X(jobber_role_info, role, 0, 4)                                       \
    X(jobber_role_info, fields, 8, 8)                                     \
    X(jobber_role_info, field_count, 16, 4)                               \
    S(jobber_role_info, 24, 8)                                            \
                                                                          \
    X(jobber_manifest, struct_size, 0, 4)                                 \
    X(jobber_manifest, abi_major, 4, 4)                                   \
    X(jobber_manifest, abi_minor, 8, 4)                                   \
    X(jobber_manifest, name, 16, 8)                                       \
    X(jobber_manifest, version, 24, 8)                                    \
    X(jobber_manifest, description, 32, 8)                                \
    X(jobber_manifest, build_info, 40, 8)                                 \
    X(jobber_manifest, roles, 48, 8)                                      \
    X(jobber_manifest, role_count, 56, 4)                                 \
    S(jobber_manifest, 64, 8)                                             \
                                                                          \
    X(jobber_host_api, struct_size, 0, 4)                                 \
    X(jobber_host_api, host, 8, 8)                                        \
    X(jobber_host_api, log, 16, 8)                                        \
    S(jobber_host_api, 24, 8)                                             \
                                                                          \
    X(jobber_open_args, struct_size, 0, 4)                                \
    X(jobber_open_args, instance_name, 8, 8)                              \
    X(jobber_open_args, config, 16, 8)                                    \
    X(jobber_open_args, config_count, 24, 4)                              \
    S(jobber_open_args, 32, 8)                                            \
                                                                          \
    X(jobber_plugin_vtables, struct_size, 0, 4)                           \
    X(jobber_plugin_vtables, broker, 8, 8)                                \
    X(jobber_plugin_vtables, state, 16, 8)                                \
    X(jobber_plugin_vtables, source, 24, 8)                               \
    X(jobber_plugin_vtables, results, 32, 8)                              \
    S(jobber_plugin_vtables, 40, 8)                                       \
                                                                          \
    X(jobber_delivery, struct_size, 0, 4)                                 \
    X(jobber_delivery, payload, 8, 8)                                     \
    X(jobber_delivery, payload_size, 16, 8)                               \
    X(jobber_delivery, queue, 24, 8)                                      \
    X(jobber_delivery, receipt, 32, 8)                                    \
    X(jobber_delivery, delivery_count, 40, 4)                             \
    X(jobber_delivery, release, 48, 8)                                    \
    S(jobber_delivery, 56, 8)                                             \
                                                                          \
    X(jobber_pending_message, struct_size, 0, 4)                          \
    X(jobber_pending_message, payload, 8, 8)                              \
    X(jobber_pending_message, payload_size, 16, 8)                        \
    X(jobber_pending_message, eta_unix_ms, 24, 8)                         \
    S(jobber_pending_message, 32, 8)                                      \
                                                                          \
    X(jobber_broker_vtable, struct_size, 0, 4)                            \
    X(jobber_broker_vtable, open, 8, 8)                                   \
    X(jobber_broker_vtable, close, 16, 8)                                 \
    X(jobber_broker_vtable, push, 24, 8)                                  \
    X(jobber_broker_vtable, pop, 32, 8)                                   \
    X(jobber_broker_vtable, ack, 40, 8)                                   \
    X(jobber_broker_vtable, requeue, 48, 8)                               \
    X(jobber_broker_vtable, extend, 56, 8)                                \
    X(jobber_broker_vtable, list_pending, 64, 8)                          \
    X(jobber_broker_vtable, ping, 72, 8)                                  \
    X(jobber_broker_vtable, redelivers_only_after_lease, 80, 4) /* 1.2 */ \
    S(jobber_broker_vtable, 88, 8)                                        \
                                                                          \
    X(jobber_job_record, struct_size, 0, 4)                               \
    X(jobber_job_record, state, 4, 4)                                     \
    X(jobber_job_record, token, 8, 8)                                     \
    X(jobber_job_record, body, 16, 8)                                     \
    X(jobber_job_record, body_size, 24, 8)                                \
    X(jobber_job_record, release, 32, 8)                                  \
    S(jobber_job_record, 40, 8)                                           \
                                                                          \
    X(jobber_job_write, struct_size, 0, 4)                                \
    X(jobber_job_write, state, 4, 4)                                      \
    X(jobber_job_write, token, 8, 8)                                      \
    X(jobber_job_write, body, 16, 8)                                      \
    X(jobber_job_write, body_size, 24, 8)                                 \
    X(jobber_job_write, ttl_ms, 32, 8)                                    \
    X(jobber_job_write, queue, 40, 8) /* 1.1 */                           \
    S(jobber_job_write, 48, 8)                                            \
                                                                          \
    X(jobber_queued_job, struct_size, 0, 4) /* 1.1 */                     \
    X(jobber_queued_job, job_id, 8, 8)                                    \
    X(jobber_queued_job, state, 16, 4)                                    \
    X(jobber_queued_job, token, 24, 8)                                    \
    X(jobber_queued_job, body, 32, 8)                                     \
    X(jobber_queued_job, body_size, 40, 8)                                \
    S(jobber_queued_job, 48, 8)                                           \
                                                                          \
    X(jobber_state_vtable, struct_size, 0, 4)                             \
    X(jobber_state_vtable, open, 8, 8)                                    \
    X(jobber_state_vtable, close, 16, 8)                                  \
    X(jobber_state_vtable, cas_job, 24, 8)                                \
    X(jobber_state_vtable, get_job, 32, 8)                                \
    X(jobber_state_vtable, delete_job, 40, 8)                             \
    X(jobber_state_vtable, put_group, 48, 8)                              \
    X(jobber_state_vtable, get_group, 56, 8)                              \
    X(jobber_state_vtable, delete_group, 64, 8)                           \
    X(jobber_state_vtable, acquire_slot, 72, 8)                           \
    X(jobber_state_vtable, release_slot, 80, 8)                           \
    X(jobber_state_vtable, ping, 88, 8)                                   \
    X(jobber_state_vtable, list_queue, 96, 8) /* 1.1 */                   \
    S(jobber_state_vtable, 104, 8)                                        \
                                                                          \
    X(jobber_value, type, 0, 4)                                           \
    X(jobber_value, bool_value, 4, 4)                                     \
    X(jobber_value, int_value, 8, 8)                                      \
    X(jobber_value, double_value, 16, 8)                                  \
    X(jobber_value, text, 24, 8)                                          \
    X(jobber_value, text_size, 32, 8)                                     \
    S(jobber_value, 40, 8)                                                \
                                                                          \
    X(jobber_statement_info, struct_size, 0, 4)                           \
    X(jobber_statement_info, param_count, 4, 4)                           \
    S(jobber_statement_info, 8, 4)                                        \
                                                                          \
    X(jobber_query, struct_size, 0, 4)                                    \
    X(jobber_query, query_id, 8, 8)                                       \
    X(jobber_query, task_name, 16, 8)                                     \
    X(jobber_query, sql, 24, 8)                                           \
    X(jobber_query, raw, 32, 4)                                           \
    X(jobber_query, params, 40, 8)                                        \
    X(jobber_query, param_count, 48, 4)                                   \
    X(jobber_query, timeout_ms, 56, 8)                                    \
    X(jobber_query, batch_rows, 64, 8)                                    \
    S(jobber_query, 72, 8)                                                \
                                                                          \
    X(jobber_source_vtable, struct_size, 0, 4)                            \
    X(jobber_source_vtable, open, 8, 8)                                   \
    X(jobber_source_vtable, close, 16, 8)                                 \
    X(jobber_source_vtable, prepare, 24, 8)                               \
    X(jobber_source_vtable, execute, 32, 8)                               \
    X(jobber_source_vtable, cancel, 40, 8)                                \
    X(jobber_source_vtable, ping, 48, 8)                                  \
    S(jobber_source_vtable, 56, 8)                                        \
                                                                          \
    X(jobber_results_target, struct_size, 0, 4)                           \
    X(jobber_results_target, job_id, 8, 8)                                \
    X(jobber_results_target, table_name, 16, 8)                           \
    X(jobber_results_target, expires_at_unix_ms, 24, 8)                   \
    S(jobber_results_target, 32, 8)                                       \
                                                                          \
    X(jobber_results_vtable, struct_size, 0, 4)                           \
    X(jobber_results_vtable, open, 8, 8)                                  \
    X(jobber_results_vtable, close, 16, 8)                                \
    X(jobber_results_vtable, max_identifier_length, 24, 8)                \
    X(jobber_results_vtable, begin, 32, 8)                                \
    X(jobber_results_vtable, write, 40, 8)                                \
    X(jobber_results_vtable, commit, 48, 8)                               \
    X(jobber_results_vtable, release, 56, 8)                              \
    X(jobber_results_vtable, drop, 64, 8)                                 \
    X(jobber_results_vtable, sweep, 72, 8)                                \
    X(jobber_results_vtable, ping, 80, 8)                                 \
    S(jobber_results_vtable, 88, 8)                                       \
                                                                          \
    X(struct ArrowSchema, format, 0, 8)                                   \
    X(struct ArrowSchema, name, 8, 8)                                     \
    X(struct ArrowSchema, metadata, 16, 8)                                \
    X(struct ArrowSchema, flags, 24, 8)                                   \
    X(struct ArrowSchema, n_children, 32, 8)                              \
    X(struct ArrowSchema, children, 40, 8)                                \
    X(struct ArrowSchema, dictionary, 48, 8)                              \
    X(struct ArrowSchema, release, 56, 8)                                 \
    X(struct ArrowSchema, private_data, 64, 8)                            \
    S(struct ArrowSchema, 72, 8)                                          \
                                                                          \
    X(struct ArrowArray, length, 0, 8)                                    \
    X(struct ArrowArray, null_count, 8, 8)                                \
    X(struct ArrowArray, offset, 16, 8)                                   \
    X(struct ArrowArray, n_buffers, 24, 8)                                \
    X(struct ArrowArray, n_children, 32, 8)                               \
    X(struct ArrowArray, buffers, 40, 8)                                  \
    X(struct ArrowArray, children, 48, 8)                                 \
    X(struct ArrowArray, dictionary, 56, 8)                               \
    X(struct ArrowArray, release, 64, 8)                                  \
    X(struct ArrowArray, private_data, 72, 8)                             \
    S(struct ArrowArray, 80, 8)                                           \
                                                                          \
    X(struct ArrowArrayStream, get_schema, 0, 8)                          \
    X(struct ArrowArrayStream, get_next, 8, 8)                            \
    X(struct ArrowArrayStream, get_last_error, 16, 8)                     \
    X(struct ArrowArrayStream, release, 24, 8)                            \
    X(struct ArrowArrayStream, private_data, 32, 8)                       \
    S(struct ArrowArrayStream, 40, 8)

/* Number of X rows and S rows above; a forgotten row shows up as a count mismatch. */
#define JOBBER_ABI_FIELD_COUNT 155
#define JOBBER_ABI_STRUCT_COUNT 25

#endif /* JOBBER_TESTS_ABI_LAYOUT_TABLE_H */
